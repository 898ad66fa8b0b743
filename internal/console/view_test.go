package console

import (
	"fmt"
	"slices"
	"testing"
)

func TestBarChart(t *testing.T) {
	t.Parallel()
	days := []day{{Date: "2026-12-01", Messages: 0}, {Date: "2026-12-02", Messages: 5}, {Date: "2026-12-03", Messages: 10}}
	ch := barChart("m", days, func(d day) float64 { return d.Messages }, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	if ch.Max != "10" || ch.First != "2026-12-01" || ch.Last != "2026-12-03" || len(ch.Bars) != 3 {
		t.Fatalf("chart %+v", ch)
	}
	if ch.Bars[0].H != 0 || ch.Bars[1].H*2 != ch.Bars[2].H || ch.Bars[2].Y+ch.Bars[2].H != chartH {
		t.Fatalf("bars are not to scale: %+v", ch.Bars)
	}
	if ch.Bars[2].Label != "2026-12-03: 10" {
		t.Fatalf("label %q", ch.Bars[2].Label)
	}
	empty := barChart("m", []day{{Date: "d"}}, func(d day) float64 { return d.Messages }, func(v float64) string { return "0" })
	if empty.Bars[0].H != 0 {
		t.Fatalf("a chart of zeros has a bar of %v", empty.Bars[0].H)
	}
}

func TestMessageContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    messageView
		want shown
	}{
		{"text", messageView{Type: "text", Text: `{"looks":"like json"}`}, shown{Body: `{"looks":"like json"}`}},
		{"template", messageView{Type: "template", Text: `{"type":"template","template":"order","language":"de","rendered":{"header":"H","body":"Hallo Max","footer":"F","buttons":[{"type":"url","text":"Track"}]}}`},
			shown{Template: "order", Header: "H", Body: "Hallo Max", Footer: "F", Buttons: []string{"Track"}}},
		{"image", messageView{Type: "image", Text: `{"type":"image","url":"https://example.com/a.jpg","caption":"Look"}`}, shown{URL: "https://example.com/a.jpg", Caption: "Look"}},
		{"location", messageView{Type: "location", Text: `{"type":"location","latitude":1,"longitude":2,"name":"Shop","address":"Main St"}`}, shown{Body: "Shop Main St"}},
		{"not JSON", messageView{Type: "image", Text: "broken"}, shown{Body: "broken"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.m.Content()
			if got.Template != tc.want.Template || got.Header != tc.want.Header || got.Body != tc.want.Body || got.Footer != tc.want.Footer ||
				got.URL != tc.want.URL || got.Caption != tc.want.Caption || !slices.Equal(got.Buttons, tc.want.Buttons) {
				t.Fatalf("Content() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPerLabel(t *testing.T) {
	t.Parallel()
	got := perLabel([]analyticsRow{{Label: "news", Messages: 1}, {Label: "", Messages: 4}, {Label: "shop", Messages: 2}})
	want := []funnelStep{{"(no label)", 4, 100}, {"shop", 2, 50}, {"news", 1, 25}}
	if !slices.Equal(got, want) {
		t.Fatalf("perLabel = %+v, want %+v", got, want)
	}
	var many []analyticsRow
	for i := range 15 {
		many = append(many, analyticsRow{Label: fmt.Sprint(i), Messages: int64(i)})
	}
	if got := perLabel(many); len(got) != 10 || got[0].Name != "14" {
		t.Fatalf("perLabel of 15 labels: %+v", got)
	}
	if got := perLabel(nil); len(got) != 0 {
		t.Fatalf("perLabel(nil) = %+v", got)
	}
}
