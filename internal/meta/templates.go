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

// draftBody is a template as Meta's management API takes it.
type draftBody struct {
	Name            string                       `json:"name,omitempty"`
	Language        string                       `json:"language,omitempty"`
	Category        string                       `json:"category,omitempty"`
	ParameterFormat string                       `json:"parameter_format,omitempty"`
	Components      []openwaba.TemplateComponent `json:"components"`
}

// CreateTemplate submits d for review: POST /{waba-id}/message_templates.
// It returns the template as Meta took it: its id, status (PENDING, or
// APPROVED at once for some) and category (Meta may correct it).
func (c *Client) CreateTemplate(ctx context.Context, wabaID string, d openwaba.TemplateDraft) (openwaba.Template, error) {
	var resp struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Category string `json:"category"`
	}
	body := draftBody{Name: d.Name, Language: d.Language, Category: d.Category, ParameterFormat: d.ParameterFormat, Components: d.Components}
	if err := c.do(ctx, "create template", http.MethodPost, c.endpoint(wabaID, "message_templates"), body, &resp); err != nil {
		return openwaba.Template{}, err
	}
	if resp.ID == "" {
		return openwaba.Template{}, fmt.Errorf("meta: create template: %w", unexpectedResponse(http.StatusOK, "no id in the answer"))
	}
	if resp.Status == "" {
		resp.Status = "PENDING"
	}
	return d.Template(0, resp.ID, resp.Status, resp.Category), nil
}

// EditTemplate submits new components (and category) of the template
// templateID for review: POST /{template-id}. Name and language cannot
// change.
func (c *Client) EditTemplate(ctx context.Context, templateID string, d openwaba.TemplateDraft) error {
	var resp successResponse
	body := draftBody{Category: d.Category, Components: d.Components}
	if err := c.do(ctx, "edit template", http.MethodPost, c.base+"/"+url.PathEscape(templateID), body, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return fmt.Errorf("meta: edit template: %w", unexpectedResponse(http.StatusOK, `no "success":true in the answer`))
	}
	return nil
}

// DeleteTemplate deletes the template name of the WABA: every language,
// or with templateID (hsm_id) only that one: DELETE
// /{waba-id}/message_templates?name=…[&hsm_id=…].
func (c *Client) DeleteTemplate(ctx context.Context, wabaID, name, templateID string) error {
	q := url.Values{"name": {name}}
	if templateID != "" {
		q.Set("hsm_id", templateID)
	}
	var resp successResponse
	if err := c.do(ctx, "delete template", http.MethodDelete, c.endpoint(wabaID, "message_templates")+"?"+q.Encode(), nil, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return fmt.Errorf("meta: delete template: %w", unexpectedResponse(http.StatusOK, `no "success":true in the answer`))
	}
	return nil
}
