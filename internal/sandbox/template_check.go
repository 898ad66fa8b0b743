package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/openwaba/openwaba"
)

var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// placeholders returns the distinct placeholder names of text in order.
func placeholders(text string) []string {
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// tplCheck is one template send being checked against its template.
type tplCheck struct {
	tpl   openwaba.Template
	named bool
}

func countMismatch(field string, want, got int) *apiError {
	return newError(132000, "%s: expected number of params (%d) does not match the received number of params (%d).", field, want, got)
}

func formatMismatch(field, format string, args ...any) *apiError {
	return newError(132012, "%s: %s", field, fmt.Sprintf(format, args...))
}

// validateTemplate checks a template send: the template exists in that
// language and is approved (else 132001; paused 132015, disabled 132016),
// and every component supplies as
// many parameters as the template has placeholders (else 132000).
func (s *Sandbox) validateTemplate(t *inTemplate) (string, *apiError) {
	switch {
	case t == nil:
		return "", missing("template")
	case t.Name == "":
		return "", missing("template.name")
	case t.Language == nil || t.Language.Code == "":
		return "", missing("template.language.code")
	}
	tpl, ok := s.template(t.Name, t.Language.Code)
	if !ok {
		return "", newError(132001, "template name (%s) does not exist in %s", t.Name, t.Language.Code)
	}
	switch tpl.Status {
	case "APPROVED", "FLAGGED": // flagged templates are still active
	case "PAUSED":
		return "", newError(132015, "template name (%s) in %s is paused", t.Name, t.Language.Code)
	case "DISABLED":
		return "", newError(132016, "template name (%s) in %s is disabled", t.Name, t.Language.Code)
	default:
		return "", newError(132001, "template name (%s) in %s is %s, not APPROVED", t.Name, t.Language.Code, tpl.Status)
	}
	c := tplCheck{tpl: tpl, named: strings.EqualFold(tpl.ParameterFormat, "NAMED")}
	buttonDefs := c.buttonDefs()

	var header, body *inComponent
	buttons := map[int]*inComponent{}
	for i := range t.Components {
		comp := &t.Components[i]
		f := fmt.Sprintf("template.components[%d]", i)
		switch strings.ToLower(comp.Type) {
		case "header":
			if header != nil {
				return "", invalid(f+".type", "header is given twice")
			}
			header = comp
		case "body":
			if body != nil {
				return "", invalid(f+".type", "body is given twice")
			}
			body = comp
		case "button":
			if !comp.Index.set {
				return "", missing(f + ".index")
			}
			idx := comp.Index.n
			if idx < 0 || idx >= len(buttonDefs) {
				return "", invalid(f+".index", "template %s has no button %d", tpl.Name, idx)
			}
			if buttons[idx] != nil {
				return "", invalid(f+".index", "button %d is given twice", idx)
			}
			if comp.SubType == "" {
				return "", missing(f + ".sub_type")
			}
			if want := strings.ToLower(buttonDefs[idx].Type); !strings.EqualFold(comp.SubType, want) {
				return "", invalid(f+".sub_type", "button %d is %s, got %q", idx, want, comp.SubType)
			}
			buttons[idx] = comp
		case "":
			return "", missing(f + ".type")
		default:
			return "", invalid(f+".type", "must be header, body or button, got %q", comp.Type)
		}
	}
	if err := c.header(header); err != nil {
		return "", err
	}
	bodyDef, _ := tpl.Component("BODY")
	if err := c.textParams("body", bodyDef.Text, body, true); err != nil {
		return "", err
	}
	for i, def := range buttonDefs {
		if err := c.button(i, def, buttons[i]); err != nil {
			return "", err
		}
	}
	return strings.ToLower(tpl.Category), nil
}

func (c tplCheck) buttonDefs() []openwaba.TemplateButtonDef {
	comp, _ := c.tpl.Component("BUTTONS")
	return comp.Buttons
}

func params(comp *inComponent) []inParam {
	if comp == nil {
		return nil
	}
	return comp.Parameters
}

func (c tplCheck) header(comp *inComponent) *apiError {
	def, ok := c.tpl.Component("HEADER")
	ps := params(comp)
	if !ok {
		if len(ps) > 0 {
			return countMismatch("header", 0, len(ps))
		}
		return nil
	}
	format := strings.ToUpper(def.Format)
	switch format {
	case "", "TEXT":
		return c.textParams("header", def.Text, comp, false)
	case "IMAGE", "VIDEO", "DOCUMENT":
		kind := strings.ToLower(format)
		if len(ps) != 1 {
			return countMismatch("header", 1, len(ps))
		}
		p := ps[0]
		if p.Type != kind {
			return formatMismatch("header.parameters[0].type", "the template's header is %s, got %q", kind, p.Type)
		}
		media := map[string]*inMedia{"image": p.Image, "video": p.Video, "document": p.Document}[kind]
		return validateMedia("template.components.header.parameters[0]."+kind, media)
	case "LOCATION":
		if len(ps) != 1 {
			return countMismatch("header", 1, len(ps))
		}
		if ps[0].Type != "location" || len(ps[0].Location) == 0 {
			return formatMismatch("header.parameters[0]", "the template's header is a location")
		}
	}
	return nil
}

// textParams checks the parameters of a component with placeholder text.
func (c tplCheck) textParams(field, text string, comp *inComponent, isBody bool) *apiError {
	names := placeholders(text)
	ps := params(comp)
	if len(ps) != len(names) {
		return countMismatch(field, len(names), len(ps))
	}
	seen := map[string]bool{}
	for i, p := range ps {
		pf := fmt.Sprintf("%s.parameters[%d]", field, i)
		switch p.Type {
		case "text":
			if p.Text == nil || *p.Text == "" {
				return missing(pf + ".text")
			}
			// Meta refuses layout characters inside a parameter.
			if strings.ContainsAny(*p.Text, "\n\t") || strings.Contains(*p.Text, "     ") {
				return newError(132018, "%s.text: Param text cannot have new-line/tab characters or more than 4 consecutive spaces", pf)
			}
		case "currency", "date_time":
			if !isBody {
				return formatMismatch(pf+".type", "%s parameters are only allowed in the body", p.Type)
			}
			if len(p.Currency) == 0 && len(p.DateTime) == 0 {
				return missing(pf + "." + p.Type)
			}
		case "":
			return missing(pf + ".type")
		default:
			return formatMismatch(pf+".type", "%q is not a text parameter", p.Type)
		}
		if c.named {
			switch {
			case p.ParameterName == "":
				return missing(pf + ".parameter_name")
			case !slices.Contains(names, p.ParameterName):
				return invalid(pf+".parameter_name", "template %s has no parameter %q", c.tpl.Name, p.ParameterName)
			case seen[p.ParameterName]:
				return invalid(pf+".parameter_name", "parameter %q is given twice", p.ParameterName)
			}
			seen[p.ParameterName] = true
		}
	}
	return nil
}

// button checks the parameters given for the template's button i: a URL
// button takes one text per placeholder of its URL, a copy-code button one
// coupon_code, a quick reply an optional payload, others none.
func (c tplCheck) button(i int, def openwaba.TemplateButtonDef, comp *inComponent) *apiError {
	field := fmt.Sprintf("button[%d]", i)
	ps := params(comp)
	switch strings.ToUpper(def.Type) {
	case "URL":
		if want := len(placeholders(def.URL)); len(ps) != want {
			return countMismatch(field, want, len(ps))
		}
		for j, p := range ps {
			pf := fmt.Sprintf("%s.parameters[%d]", field, j)
			if p.Type != "text" {
				return formatMismatch(pf+".type", "a url button takes text, got %q", p.Type)
			}
			if p.Text == nil || *p.Text == "" {
				return missing(pf + ".text")
			}
		}
	case "COPY_CODE":
		if len(ps) != 1 {
			return countMismatch(field, 1, len(ps))
		}
		if ps[0].Type != "coupon_code" || ps[0].CouponCode == nil || *ps[0].CouponCode == "" {
			return formatMismatch(field+".parameters[0]", "a copy_code button takes a coupon_code")
		}
	case "QUICK_REPLY":
		if len(ps) > 1 {
			return countMismatch(field, 1, len(ps))
		}
		if len(ps) == 1 && (ps[0].Type != "payload" || ps[0].Payload == nil) {
			return formatMismatch(field+".parameters[0]", "a quick_reply button takes a payload")
		}
	default:
		if len(ps) > 0 {
			return countMismatch(field, 0, len(ps))
		}
	}
	return nil
}
