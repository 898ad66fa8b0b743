package openwaba

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TemplateDraft is a template to submit to Meta for review (create or
// edit), in Meta's shape: components of type HEADER, BODY, FOOTER and
// BUTTONS with their examples.
type TemplateDraft struct {
	Name            string
	Language        string
	Category        string // MARKETING or UTILITY
	ParameterFormat string // POSITIONAL (the default) or NAMED
	Components      []TemplateComponent
}

// DraftError is a rule a request breaks (Meta's for a template draft,
// openwaba's for consent settings: CheckOptKeywords); Field names the
// request field.
type DraftError struct {
	Field string
	Msg   string
}

func (e *DraftError) Error() string { return e.Field + ": " + e.Msg }

func draftErr(field, format string, args ...any) *DraftError {
	return &DraftError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Limits of Meta's template rules.
const (
	MaxTemplateName      = 512
	MaxTemplateBody      = 1024
	MaxTemplateHeader    = 60
	MaxTemplateFooter    = 60
	MaxTemplateButtons   = 10
	MaxTemplateButton    = 25
	MaxTemplateURL       = 2000
	MaxTemplatePhone     = 20
	maxURLButtons        = 2
	maxPhoneButtons      = 1
	maxCopyCodeButtons   = 1
	maxConsecutiveSpaces = 4
)

var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9_]+$`)
	languageRE     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
	placeholderRE  = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	namedParamRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Check checks d against Meta's rules for templates before it is
// submitted, so that a draft Meta would refuse (or create and reject at
// once) is a 400 naming the field:
//
//   - name: lowercase letters, digits and underscores, at most 512;
//     language: a code such as en or en_US; category MARKETING or UTILITY
//     (authentication templates have Meta's own one-time-password format);
//   - one BODY of at most 1024 characters, not starting or ending with a
//     placeholder, without tabs or more than 4 spaces in a row; at most one
//     HEADER (TEXT of at most 60 characters with at most one placeholder;
//     IMAGE, VIDEO or DOCUMENT with an example header_handle; LOCATION),
//     FOOTER (at most 60 characters, no placeholder) and BUTTONS;
//   - placeholders {{1}}, {{2}}, ... in order from 1 (POSITIONAL), or
//     lowercase names (NAMED), each with an example value;
//   - 1 to 10 buttons: QUICK_REPLY, URL (at most 2; http(s), at most 2000
//     characters, at most one placeholder, at its end), PHONE_NUMBER (at
//     most 1), COPY_CODE (at most 1, with an example); texts of at most 25
//     characters without placeholders.
func (d TemplateDraft) Check() error {
	switch {
	case d.Name == "":
		return draftErr("name", "is required")
	case utf8.RuneCountInString(d.Name) > MaxTemplateName:
		return draftErr("name", "must be at most %d characters", MaxTemplateName)
	case !templateNameRE.MatchString(d.Name):
		return draftErr("name", "may only have lowercase letters, digits and underscores, got %q", d.Name)
	case d.Language == "":
		return draftErr("language", "is required")
	case !languageRE.MatchString(d.Language):
		return draftErr("language", "must be a language code such as en or en_US, got %q", d.Language)
	}
	switch d.Category {
	case "MARKETING", "UTILITY":
	case "AUTHENTICATION":
		return draftErr("category", "AUTHENTICATION templates have Meta's own one-time-password format: create them in WhatsApp Manager")
	case "":
		return draftErr("category", "is required: MARKETING or UTILITY")
	default:
		return draftErr("category", "must be MARKETING or UTILITY, got %q", d.Category)
	}
	named := false
	switch d.ParameterFormat {
	case "", "POSITIONAL":
	case "NAMED":
		named = true
	default:
		return draftErr("parameter_format", "must be POSITIONAL or NAMED, got %q", d.ParameterFormat)
	}
	seen := map[string]bool{}
	for i, c := range d.Components {
		field := fmt.Sprintf("components[%d]", i)
		switch c.Type {
		case "HEADER", "BODY", "FOOTER", "BUTTONS":
		default:
			return draftErr(field+".type", "must be HEADER, BODY, FOOTER or BUTTONS, got %q", c.Type)
		}
		if seen[c.Type] {
			return draftErr(field+".type", "a template has at most one %s", c.Type)
		}
		seen[c.Type] = true
		var err error
		switch c.Type {
		case "HEADER":
			err = checkHeader(field, c, named)
		case "BODY":
			err = checkBody(field, c, named)
		case "FOOTER":
			err = checkFooter(field, c)
		case "BUTTONS":
			err = checkButtons(field, c)
		}
		if err != nil {
			return err
		}
	}
	if !seen["BODY"] {
		return draftErr("components", "a BODY is required")
	}
	return nil
}

// placeholders returns the placeholder names of text in order, checking
// them: positional ones must be 1, 2, ... in order of first appearance,
// named ones lowercase names.
func placeholders(field, text string, named bool) ([]string, error) {
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		name := m[1]
		if slices.Contains(names, name) {
			continue
		}
		if named {
			if !namedParamRE.MatchString(name) {
				return nil, draftErr(field, "named placeholder {{%s}} must be lowercase letters, digits and underscores", name)
			}
		} else if n, err := strconv.Atoi(name); err != nil || n != len(names)+1 {
			return nil, draftErr(field, "placeholders must be {{1}}, {{2}}, ... in order, got {{%s}} (set parameter_format NAMED for named ones)", name)
		}
		names = append(names, name)
	}
	return names, nil
}

// examples returns the example values of a component's placeholders:
// positional ones in example[key] (a list of values, or for the body a
// list holding one list), named ones in example[key+"_named_params"] as
// {param_name, example}.
func examples(c TemplateComponent, key string, named bool) (map[string]bool, int) {
	if named {
		got := map[string]bool{}
		list, _ := c.Example[key+"_named_params"].([]any)
		for _, p := range list {
			m, _ := p.(map[string]any)
			name, _ := m["param_name"].(string)
			ex, _ := m["example"].(string)
			if name != "" && ex != "" {
				got[name] = true
			}
		}
		return got, len(got)
	}
	list, _ := c.Example[key].([]any)
	if len(list) == 1 {
		if inner, ok := list[0].([]any); ok {
			list = inner
		}
	}
	return nil, len(list)
}

func checkExamples(field, key string, c TemplateComponent, names []string, named bool) error {
	if len(names) == 0 {
		return nil
	}
	got, n := examples(c, key, named)
	if named {
		for _, name := range names {
			if !got[name] {
				return draftErr(field+".example", "needs an example for {{%s}} in %s_named_params", name, key)
			}
		}
		return nil
	}
	if n != len(names) {
		return draftErr(field+".example", "needs %d example values in %s, got %d", len(names), key, n)
	}
	return nil
}

func checkHeader(field string, c TemplateComponent, named bool) error {
	switch c.Format {
	case "TEXT", "":
		if c.Text == "" {
			return draftErr(field+".text", "is required for a TEXT header")
		}
		if n := utf8.RuneCountInString(c.Text); n > MaxTemplateHeader {
			return draftErr(field+".text", "must be at most %d characters, got %d", MaxTemplateHeader, n)
		}
		names, err := placeholders(field+".text", c.Text, named)
		if err != nil {
			return err
		}
		if len(names) > 1 {
			return draftErr(field+".text", "a header has at most one placeholder, got %d", len(names))
		}
		return checkExamples(field, "header_text", c, names, named)
	case "IMAGE", "VIDEO", "DOCUMENT":
		if handles, _ := c.Example["header_handle"].([]any); len(handles) == 0 {
			return draftErr(field+".example", "a %s header needs an example header_handle (a media upload handle)", c.Format)
		}
	case "LOCATION":
	default:
		return draftErr(field+".format", "must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION, got %q", c.Format)
	}
	return nil
}

func checkBody(field string, c TemplateComponent, named bool) error {
	text := c.Text
	switch n := utf8.RuneCountInString(text); {
	case strings.TrimSpace(text) == "":
		return draftErr(field+".text", "is required")
	case n > MaxTemplateBody:
		return draftErr(field+".text", "must be at most %d characters, got %d", MaxTemplateBody, n)
	case strings.Contains(text, "\t"):
		return draftErr(field+".text", "must not contain tabs")
	case strings.Contains(text, strings.Repeat(" ", maxConsecutiveSpaces+1)):
		return draftErr(field+".text", "must not have more than %d spaces in a row", maxConsecutiveSpaces)
	}
	trimmed := strings.TrimSpace(text)
	if locs := placeholderRE.FindAllStringIndex(trimmed, -1); len(locs) > 0 && (locs[0][0] == 0 || locs[len(locs)-1][1] == len(trimmed)) {
		return draftErr(field+".text", "must not start or end with a placeholder")
	}
	names, err := placeholders(field+".text", text, named)
	if err != nil {
		return err
	}
	return checkExamples(field, "body_text", c, names, named)
}

func checkFooter(field string, c TemplateComponent) error {
	switch n := utf8.RuneCountInString(c.Text); {
	case c.Text == "":
		return draftErr(field+".text", "is required")
	case n > MaxTemplateFooter:
		return draftErr(field+".text", "must be at most %d characters, got %d", MaxTemplateFooter, n)
	case placeholderRE.MatchString(c.Text):
		return draftErr(field+".text", "a footer has no placeholders")
	}
	return nil
}

func checkButtons(field string, c TemplateComponent) error {
	if len(c.Buttons) == 0 || len(c.Buttons) > MaxTemplateButtons {
		return draftErr(field+".buttons", "must have 1 to %d buttons, got %d", MaxTemplateButtons, len(c.Buttons))
	}
	count := map[string]int{}
	for i, b := range c.Buttons {
		f := fmt.Sprintf("%s.buttons[%d]", field, i)
		switch n := utf8.RuneCountInString(b.Text); {
		case b.Text == "":
			return draftErr(f+".text", "is required")
		case n > MaxTemplateButton:
			return draftErr(f+".text", "must be at most %d characters, got %d", MaxTemplateButton, n)
		case placeholderRE.MatchString(b.Text):
			return draftErr(f+".text", "a button's text has no placeholders")
		}
		count[b.Type]++
		switch b.Type {
		case "QUICK_REPLY":
		case "URL":
			if count["URL"] > maxURLButtons {
				return draftErr(f+".type", "a template has at most %d URL buttons", maxURLButtons)
			}
			if err := checkURLButton(f, b); err != nil {
				return err
			}
		case "PHONE_NUMBER":
			if count["PHONE_NUMBER"] > maxPhoneButtons {
				return draftErr(f+".type", "a template has at most %d PHONE_NUMBER button", maxPhoneButtons)
			}
			if b.PhoneNumber == "" || len(b.PhoneNumber) > MaxTemplatePhone {
				return draftErr(f+".phone_number", "is required, at most %d characters", MaxTemplatePhone)
			}
		case "COPY_CODE":
			if count["COPY_CODE"] > maxCopyCodeButtons {
				return draftErr(f+".type", "a template has at most %d COPY_CODE button", maxCopyCodeButtons)
			}
			if len(b.Example) == 0 {
				return draftErr(f+".example", "a COPY_CODE button needs an example code")
			}
		default:
			return draftErr(f+".type", "must be QUICK_REPLY, URL, PHONE_NUMBER or COPY_CODE, got %q", b.Type)
		}
	}
	return nil
}

func checkURLButton(f string, b TemplateButtonDef) error {
	if b.URL == "" || len(b.URL) > MaxTemplateURL {
		return draftErr(f+".url", "is required, at most %d characters", MaxTemplateURL)
	}
	u, err := url.Parse(placeholderRE.ReplaceAllString(b.URL, "x"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return draftErr(f+".url", "must be an http(s) URL, got %q", b.URL)
	}
	ps := placeholderRE.FindAllStringIndex(b.URL, -1)
	switch {
	case len(ps) > 1:
		return draftErr(f+".url", "has at most one placeholder, got %d", len(ps))
	case len(ps) == 1 && ps[0][1] != len(b.URL):
		return draftErr(f+".url", "the placeholder must be at the end of the URL")
	case len(ps) == 1 && len(b.Example) == 0:
		return draftErr(f+".example", "a URL with a placeholder needs an example URL")
	}
	return nil
}

// Template is the draft as the account keeps it once Meta took it: with
// the id, status and category Meta answered.
func (d TemplateDraft) Template(accountID int64, id, status, category string) Template {
	format := d.ParameterFormat
	if format == "" {
		format = "POSITIONAL"
	}
	if category == "" {
		category = d.Category
	}
	return Template{
		AccountID: accountID, ID: id, Name: d.Name, Language: d.Language, Category: category,
		Status: status, ParameterFormat: format, Components: d.Components,
	}
}
