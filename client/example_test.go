package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openwaba/openwaba/client"
)

// exampleGateway answers like seven's gateway and remembers the last
// request body, which the examples print: it is what the client sent.
type exampleGateway struct {
	*httptest.Server
	mu   sync.Mutex
	last string
	next int
}

func startExampleGateway() *exampleGateway {
	g := &exampleGateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.last = string(body)
		g.next++
		id := g.next
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("X-Api-Key") != "YOUR_API_KEY":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("900"))
		case r.Method == "POST" && r.URL.Path == "/api/waba/messages":
			var req map[string]any
			_ = json.Unmarshal(body, &req)
			var msgs []map[string]any
			for i, to := range strings.Split(fmt.Sprint(req["to"]), ",") {
				msgs = append(msgs, map[string]any{"id": strconv.Itoa(id*100 + i), "sender": req["from"], "recipient": to, "success": true, "channel": "WA", "parts": 1, "price": 0})
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"success": "100", "total_price": 0, "balance": 100, "debug": "false", "sms_type": "WA", "messages": msgs})
		case r.Method == "GET" && r.URL.Path == "/api/balance":
			_, _ = w.Write([]byte(`{"amount":99.9265,"currency":"EUR"}`))
		case r.Method == "POST" && r.URL.Path == "/api/hooks":
			_, _ = w.Write([]byte(`{"success":true,"id":1277}`))
		case r.Method == "GET" && r.URL.Path == "/api/analytics/label":
			_, _ = w.Write([]byte(`[{"label":"newsletter","sms":0,"inbound":3,"whatsapp":120,"usage_eur":8.82}]`))
		case r.Method == "DELETE" && r.URL.Path == "/api/waba/messages/999":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":404,"message":"Page not found","errors":[]}`))
		default:
			_, _ = w.Write([]byte(`{"success":true}`))
		}
	}))
	return g
}

func (g *exampleGateway) lastBody() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

// send sends msg from the example sender to the example user and prints
// the response's id and the JSON the client sent.
func send(msg client.Message) {
	gw := startExampleGateway()
	defer gw.Close()
	c := client.New(gw.URL+"/api", "YOUR_API_KEY")
	resp, err := c.Send(context.Background(), client.SendRequest{
		From:    "4915112345678",
		To:      []string{"4917612345678"},
		Message: msg,
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("success", resp.Success, "id", resp.Messages[0].ID)
	fmt.Println(gw.lastBody())
}

func ExampleClient_Send() {
	gw := startExampleGateway()
	defer gw.Close()
	// For seven.io: client.New("", "YOUR_API_KEY").
	c := client.New(gw.URL+"/api", "YOUR_API_KEY")
	resp, err := c.Send(context.Background(), client.SendRequest{
		From:    "4915112345678",
		To:      []string{"4917612345678"},
		Message: client.Template{Name: "hello_world", Language: "de"},
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, m := range resp.Messages {
		fmt.Println(m.ID, m.Recipient, m.Err())
	}
	fmt.Println(gw.lastBody())
	// Output:
	// 100 4917612345678 <nil>
	// {"from":"4915112345678","to":"4917612345678","type":"template","template":"hello_world","language":"de"}
}

func ExampleClient_Send_templateWithComponents() {
	send(client.Template{
		Name:     "appointment_reminder",
		Language: "de",
		Components: &client.Components{
			Header:  []string{"Appointment confirmation"},
			Body:    client.Values("Max Mustermann", "2026-02-15", "2:00 PM", "Dr. Smith"),
			Buttons: []client.TemplateButton{client.URLButton("abc123")},
		},
	})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"template","template":"appointment_reminder","language":"de","components":{"header":["Appointment confirmation"],"body":["Max Mustermann","2026-02-15","2:00 PM","Dr. Smith"],"buttons":[{"type":"button","sub_type":"url","parameters":[{"type":"text","text":"abc123"}]}]}}
}

func ExampleClient_Send_templateNamedParameters() {
	send(client.Template{
		Name:     "welcome",
		Language: "en",
		Components: &client.Components{
			Body: []client.Param{{Name: "first_name", Text: "Max"}},
		},
	})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"template","template":"welcome","language":"en","components":{"body":[{"type":"text","text":"Max","parameter_name":"first_name"}]}}
}

func ExampleClient_Send_text() {
	send(client.Text{Body: "Thanks for your message, we will take care of it!"})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"text","text":"Thanks for your message, we will take care of it!"}
}

func ExampleClient_Send_image() {
	send(client.Image{URL: "https://example.com/photo.jpg", Caption: "Check out this image!"})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"image","url":"https://example.com/photo.jpg","caption":"Check out this image!"}
}

func ExampleClient_Send_video() {
	send(client.Video{URL: "https://example.com/video.mp4", Caption: "Watch this video"})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"video","url":"https://example.com/video.mp4","caption":"Watch this video"}
}

func ExampleClient_Send_audio() {
	send(client.Audio{URL: "https://example.com/audio.mp3"})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"audio","url":"https://example.com/audio.mp3"}
}

func ExampleClient_Send_document() {
	send(client.Document{URL: "https://example.com/invoice.pdf", Filename: "invoice.pdf", Caption: "Your invoice"})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"document","url":"https://example.com/invoice.pdf","caption":"Your invoice","filename":"invoice.pdf"}
}

func ExampleClient_Send_sticker() {
	send(client.Sticker{URL: "https://example.com/sticker.webp"})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"sticker","url":"https://example.com/sticker.webp"}
}

func ExampleClient_Send_location() {
	send(client.Location{Latitude: 48.8566, Longitude: 2.3522, Name: "Eiffel Tower", Address: "5 Avenue Anatole France, 75007 Paris"})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"location","latitude":48.8566,"longitude":2.3522,"name":"Eiffel Tower","address":"5 Avenue Anatole France, 75007 Paris"}
}

func ExampleClient_Send_contacts() {
	send(client.Contacts{{
		Name:   client.ContactName{FirstName: "John", LastName: "Doe"},
		Phones: []client.ContactPhone{{Phone: "+491234567890", Type: "cell"}},
	}})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"contacts","contacts":[{"name":{"first_name":"John","last_name":"Doe"},"phones":[{"phone":"+491234567890","type":"cell"}]}]}
}

func ExampleClient_Send_buttons() {
	send(client.Buttons{
		Body:   "How can we help you?",
		Header: "Support",
		Footer: "Tap a button to choose",
		Buttons: []client.Button{
			{ID: "btn_sales", Title: "Sales"},
			{ID: "btn_support", Title: "Support"},
			{ID: "btn_other", Title: "Other"},
		},
	})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"interactive","interactive_type":"button","header":"Support","body":"How can we help you?","footer":"Tap a button to choose","buttons":[{"id":"btn_sales","title":"Sales"},{"id":"btn_support","title":"Support"},{"id":"btn_other","title":"Other"}]}
}

func ExampleClient_Send_list() {
	send(client.List{
		Header:     "Our Products",
		Body:       "Browse our product categories:",
		Footer:     "Select an option",
		ButtonText: "View Options",
		Sections: []client.Section{{
			Title: "Electronics",
			Rows: []client.Row{
				{ID: "phone_1", Title: "Smartphones", Description: "Latest models"},
				{ID: "laptop_1", Title: "Laptops", Description: "Business & Gaming"},
			},
		}},
	})
	// Output:
	// success 100 id 100
	// {"from":"4915112345678","to":"4917612345678","type":"interactive","interactive_type":"list","header":"Our Products","body":"Browse our product categories:","footer":"Select an option","button_text":"View Options","sections":[{"title":"Electronics","rows":[{"id":"phone_1","title":"Smartphones","description":"Latest models"},{"id":"laptop_1","title":"Laptops","description":"Business & Gaming"}]}]}
}

func ExampleClient_Send_scheduled() {
	gw := startExampleGateway()
	defer gw.Close()
	c := client.New(gw.URL+"/api", "YOUR_API_KEY")
	_, err := c.Send(context.Background(), client.SendRequest{
		From:      "4915112345678",
		To:        []string{"4917612345678", "4917612345679"},
		Message:   client.Template{Name: "hello_world", Language: "en"},
		Delay:     time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC),
		TTL:       24 * time.Hour,
		Label:     "newsletter",
		ForeignID: "campaign-42",
	})
	fmt.Println(err)
	fmt.Println(gw.lastBody())
	// Output:
	// <nil>
	// {"from":"4915112345678","to":"4917612345678,4917612345679","type":"template","template":"hello_world","language":"en","label":"newsletter","foreign_id":"campaign-42","ttl":1440,"delay":"1893488400"}
}

func ExampleClient_Delete() {
	gw := startExampleGateway()
	defer gw.Close()
	c := client.New(gw.URL+"/api", "YOUR_API_KEY")
	err := c.Delete(context.Background(), "999")
	fmt.Println(errors.Is(err, client.ErrNotFound))
	// Output:
	// true
}

func ExampleClient_React() {
	gw := startExampleGateway()
	defer gw.Close()
	c := client.New(gw.URL+"/api", "YOUR_API_KEY")
	ctx := context.Background()
	fmt.Println(c.Read(ctx, client.Conversation{From: "4915112345678", To: "4917612345678"}))
	fmt.Println(c.React(ctx, "123456789", "👍"))
	fmt.Println(gw.lastBody())
	// Output:
	// <nil>
	// <nil>
	// {"event":"reaction","msg_id":"123456789","emoji":"👍"}
}

func ExampleClient_Balance() {
	gw := startExampleGateway()
	defer gw.Close()
	b, err := client.New(gw.URL+"/api", "YOUR_API_KEY").Balance(context.Background())
	fmt.Println(b.Amount, b.Currency, err)
	_, err = client.New(gw.URL+"/api", "wrong key").Balance(context.Background())
	fmt.Println(err)
	// Output:
	// 99.9265 EUR <nil>
	// GET /balance: seven API error 900 (HTTP 401)
}

func ExampleWebhookVerifier() {
	// Your endpoint, registered as https://app.example.com/hooks/whatsapp.
	verifier := client.WebhookVerifier{Secret: "your signing secret", URL: "https://app.example.com/hooks/whatsapp"}
	handler := verifier.Handler(func(r *http.Request, e *client.Event) error {
		if e.Type != client.EventStatus {
			return nil
		}
		s, err := e.Status()
		if err != nil {
			return err
		}
		fmt.Println("message", s.MsgID, "is", s.Status)
		return nil
	})

	// What the gateway sends:
	body := `{"webhook_event":"wa_status","webhook_timestamp":"2026-11-25 10:00:03","data":{"msg_id":"12345678","status":"read","wa_status":"read","channel":"WA","price":0.0735}}`
	req := signedWebhook("your signing secret", "POST", "https://app.example.com/hooks/whatsapp", "application/json", body, time.Now(), "fpPRhAd1s8GXacfR39mWqKPynmmXfJnc")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// message 12345678 is read
	// 200
}

func ExampleClient_CreateHook() {
	gw := startExampleGateway()
	defer gw.Close()
	c := client.New(gw.URL+"/api", "YOUR_API_KEY")
	id, err := c.CreateHook(context.Background(), client.Hook{
		TargetURL:     "https://app.example.com/hooks/whatsapp",
		EventType:     "all",
		RequestMethod: "JSON",
	})
	fmt.Println(id, err)
	fmt.Println(gw.lastBody())
	// Output:
	// 1277 <nil>
	// event_type=all&request_method=JSON&target_url=https%3A%2F%2Fapp.example.com%2Fhooks%2Fwhatsapp
}

func ExampleClient_Analytics() {
	gw := startExampleGateway()
	defer gw.Close()
	c := client.New(gw.URL+"/api", "YOUR_API_KEY")
	rows, err := c.Analytics(context.Background(), client.ByLabel, client.AnalyticsQuery{
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, r := range rows {
		fmt.Println(r.Label, r.Counts["whatsapp"], r.UsageEUR)
	}
	// Output:
	// newsletter 120 8.82
}
