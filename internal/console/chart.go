package console

// Charts are inline SVG drawn on the server: bars as <rect>s whose
// geometry is computed here, colours from the stylesheet (the CSP allows
// no inline style), and a <title> per bar for its value. No chart library.

type day struct {
	Date     string
	Messages float64
	Cost     float64
}

type bar struct {
	X, Y, W, H float64
	Label      string // the day and the value, as the bar's title
}

type chart struct {
	Title         string
	Width, Height float64
	Bars          []bar
	Max           string // the value of the top of the scale
	First, Last   string // the dates under the axis
}

const chartW, chartH = 600.0, 160.0

func barChart(title string, days []day, value func(day) float64, format func(float64) string) chart {
	ch := chart{Title: title, Width: chartW, Height: chartH}
	if len(days) == 0 {
		return ch
	}
	top := 0.0
	for _, d := range days {
		top = max(top, value(d))
	}
	ch.Max = format(top)
	ch.First, ch.Last = days[0].Date, days[len(days)-1].Date
	slot := chartW / float64(len(days))
	for i, d := range days {
		h := 0.0
		if top > 0 {
			h = value(d) / top * (chartH - 10)
		}
		ch.Bars = append(ch.Bars, bar{X: float64(i)*slot + 1, Y: chartH - h, W: slot - 2, H: h, Label: d.Date + ": " + format(value(d))})
	}
	return ch
}
