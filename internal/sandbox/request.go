package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Request shapes of POST /{phone-number-id}/messages, as far as the
// sandbox checks them. Pointers tell absent from empty.

type inMessage struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Recipient        string `json:"recipient"` // a BSUID, without to
	Type             string `json:"type"`

	Text        *inText        `json:"text"`
	Image       *inMedia       `json:"image"`
	Video       *inMedia       `json:"video"`
	Audio       *inMedia       `json:"audio"`
	Document    *inMedia       `json:"document"`
	Sticker     *inMedia       `json:"sticker"`
	Location    *inLocation    `json:"location"`
	Contacts    []inContact    `json:"contacts"`
	Interactive *inInteractive `json:"interactive"`
	Template    *inTemplate    `json:"template"`
	Reaction    *inReaction    `json:"reaction"`

	Context *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data"`

	// Mark as read.
	Status          string `json:"status"`
	MessageID       string `json:"message_id"`
	TypingIndicator *struct {
		Type string `json:"type"`
	} `json:"typing_indicator"`
}

type inText struct {
	Body       *string `json:"body"`
	PreviewURL bool    `json:"preview_url"`
}

type inMedia struct {
	ID       string  `json:"id"`
	Link     string  `json:"link"`
	Caption  *string `json:"caption"`
	Filename *string `json:"filename"`
	Voice    *bool   `json:"voice"`
}

type inLocation struct {
	Latitude  *flexFloat `json:"latitude"`
	Longitude *flexFloat `json:"longitude"`
	Name      string     `json:"name"`
	Address   string     `json:"address"`
}

type inContact struct {
	Name *struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
	Phones []struct {
		Phone string `json:"phone"`
		Type  string `json:"type"`
		WaID  string `json:"wa_id"`
	} `json:"phones"`
}

type inInteractive struct {
	Type   string `json:"type"`
	Header *struct {
		Type     string   `json:"type"`
		Text     string   `json:"text"`
		Image    *inMedia `json:"image"`
		Video    *inMedia `json:"video"`
		Document *inMedia `json:"document"`
	} `json:"header"`
	Body *struct {
		Text string `json:"text"`
	} `json:"body"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
	Action *struct {
		Buttons []struct {
			Type  string `json:"type"`
			Reply *struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"reply"`
		} `json:"buttons"`
		Button   string `json:"button"`
		Sections []struct {
			Title string `json:"title"`
			Rows  []struct {
				ID          string `json:"id"`
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"rows"`
		} `json:"sections"`
	} `json:"action"`
}

type inTemplate struct {
	Name     string `json:"name"`
	Language *struct {
		Code   string `json:"code"`
		Policy string `json:"policy"`
	} `json:"language"`
	Components []inComponent `json:"components"`
}

type inComponent struct {
	Type       string    `json:"type"`
	SubType    string    `json:"sub_type"`
	Index      flexInt   `json:"index"`
	Parameters []inParam `json:"parameters"`
}

type inParam struct {
	Type          string          `json:"type"`
	ParameterName string          `json:"parameter_name"`
	Text          *string         `json:"text"`
	Payload       *string         `json:"payload"`
	CouponCode    *string         `json:"coupon_code"`
	Image         *inMedia        `json:"image"`
	Video         *inMedia        `json:"video"`
	Document      *inMedia        `json:"document"`
	Location      json.RawMessage `json:"location"`
	Currency      json.RawMessage `json:"currency"`
	DateTime      json.RawMessage `json:"date_time"`
}

type inReaction struct {
	MessageID string  `json:"message_id"`
	Emoji     *string `json:"emoji"`
}

// flexFloat takes a number or a numeric string: Meta's schema says string
// for coordinates, its examples and clients send numbers.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(string(bytes.Trim(b, `"`)), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*f = flexFloat(v)
	return nil
}

// flexInt takes a button index as "0" (documented) or 0 (seen in Meta's
// own examples); set reports whether one was given.
type flexInt struct {
	n   int
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.Atoi(string(bytes.Trim(b, `"`)))
	if err != nil {
		return fmt.Errorf("not an index: %s", b)
	}
	f.n, f.set = v, true
	return nil
}
