package meta

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/openwaba/openwaba"
)

// templateFields are the template fields the gateway needs.
const templateFields = "id,name,language,status,category,parameter_format,components,quality_score"

// maxTemplatePages stops a paging loop that never ends (a broken cursor)
// long after any real WABA is listed: Meta allows a few thousand templates.
const maxTemplatePages = 1000

type templatePage struct {
	Data   []wireTemplate `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

type wireTemplate struct {
	ID              string                       `json:"id"`
	Name            string                       `json:"name"`
	Language        string                       `json:"language"`
	Status          string                       `json:"status"`
	Category        string                       `json:"category"`
	ParameterFormat string                       `json:"parameter_format"`
	Components      []openwaba.TemplateComponent `json:"components"`
	QualityScore    *struct {
		Score string `json:"score"`
	} `json:"quality_score"`
}

// Templates lists all templates of the WhatsApp Business Account wabaID,
// following Meta's paging to the end.
func (c *Client) Templates(ctx context.Context, wabaID string) ([]openwaba.Template, error) {
	q := url.Values{"limit": {"100"}, "fields": {templateFields}}
	next := c.endpoint(wabaID, "message_templates") + "?" + q.Encode()
	var out []openwaba.Template
	for page := 0; next != ""; page++ {
		if page == maxTemplatePages {
			return nil, fmt.Errorf("meta: templates: more than %d pages, giving up", maxTemplatePages)
		}
		var p templatePage
		if err := c.do(ctx, "templates", http.MethodGet, next, nil, &p); err != nil {
			return nil, err
		}
		for _, t := range p.Data {
			out = append(out, t.domain())
		}
		next = p.Paging.Next
		if next != "" {
			if err := c.sameOrigin(next); err != nil {
				return nil, fmt.Errorf("meta: templates: %w", err)
			}
		}
	}
	return out, nil
}

// sameOrigin checks that a paging URL points at the Graph host we were
// configured with: the request carries our access token, which must not
// go anywhere else, whatever a response says.
func (c *Client) sameOrigin(next string) error {
	u, err := url.Parse(next)
	if err != nil {
		return fmt.Errorf("bad paging.next %q: %w", next, err)
	}
	g, err := url.Parse(c.graph)
	if err != nil {
		return fmt.Errorf("bad graph URL %q: %w", c.graph, err)
	}
	if u.Scheme != g.Scheme || u.Host != g.Host {
		return fmt.Errorf("paging.next %s://%s is not the Graph host %s://%s", u.Scheme, u.Host, g.Scheme, g.Host)
	}
	return nil
}

func (t wireTemplate) domain() openwaba.Template {
	format := t.ParameterFormat
	if format == "" {
		// Templates created before named parameters existed carry no
		// parameter_format; they are positional.
		format = "POSITIONAL"
	}
	out := openwaba.Template{
		ID:              t.ID,
		Name:            t.Name,
		Language:        t.Language,
		Category:        t.Category,
		Status:          t.Status,
		ParameterFormat: format,
		Components:      t.Components,
	}
	if t.QualityScore != nil {
		out.Quality = t.QualityScore.Score
	}
	return out
}
