package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/metaspec"
)

// Defaults of Config.
const (
	DefaultStatusDelay = 200 * time.Millisecond
	DefaultAPIVersion  = "v23.0"
)

// webhookWorkers bounds how many webhooks are in flight at once, like
// Meta's own delivery does not open a connection per message.
const webhookWorkers = 8

// maxRequestBody bounds a Graph request body: a send is at most a few KiB.
const maxRequestBody = 1 << 20

// Config configures a Sandbox.
type Config struct {
	AccessToken string // the only bearer token accepted
	AppSecret   string // signs webhooks (X-Hub-Signature-256)
	// WebhookURL is where status and inbound webhooks go, e.g.
	// http://127.0.0.1:8080/webhooks/meta. Without it no status webhooks
	// are sent.
	WebhookURL string
	Logger     *slog.Logger
	// StatusDelay is the gap before sent and between sent, delivered and
	// read; DefaultStatusDelay when zero.
	StatusDelay time.Duration
	HTTPClient  *http.Client // for webhooks; a 10 s timeout client when nil
	// APIVersion is the version serving paths without one, as an app's
	// default version does on Graph (DefaultAPIVersion when empty). Paths
	// may name any vNN.N: Graph serves every version still supported.
	APIVersion string
	Now        func() time.Time // time.Now when nil
	// WindowSource, when set, is asked when the sandbox has no record of a
	// user's window: when it closes (zero if it never opened). The sandbox
	// keeps windows in memory; Meta does not forget that a user wrote
	// when the gateway restarts, so the gateway answers from its database.
	WindowSource func(phoneNumberID, waID string) time.Time
	// InboundSource, when set, is asked when the sandbox has no record of
	// an inbound message a send marks as read (or types to): whether the
	// number phoneNumberID received wamid. Like WindowSource, it lets the
	// gateway answer from its database for messages received before a
	// restart, or through another node's sandbox.
	InboundSource func(ctx context.Context, phoneNumberID, wamid string) bool
	// Spec, when set, checks every request body of the messages endpoint
	// against Meta's OpenAPI schemas before the sandbox's own checks; a
	// body that does not conform is refused with Graph's code 100.
	Spec *metaspec.Spec
	// RateLimits, when set, refuses sends over a number's throughput
	// (130429) or a user's pair rate (131056), as Meta does; off when nil.
	RateLimits *RateLimits
	// KeepSent is how many requests Sent remembers (10,000 when zero);
	// the oldest go first.
	KeepSent int
	// Numbers, when set, is asked for the business numbers when a request
	// names a number, phone number id or WABA the sandbox does not know
	// (AddNumber): the gateway answers with its senders, so that a number
	// registered while it runs (openwaba senders add) works at once, as it
	// would at Meta. What it returns is added as AddNumber adds.
	Numbers func(ctx context.Context) ([]Number, error)
}

// Number is a business phone number of a WhatsApp Business Account.
type Number struct {
	PhoneNumberID string
	WABAID        string
	Display       string // may be formatted; kept as digits
}

// Sandbox is a fake Graph API. It is an http.Handler to mount at the root.
type Sandbox struct {
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	http *http.Client
	mux  *http.ServeMux

	// Webhook delivery: ctx ends at Close, wg counts the goroutines,
	// slots bounds concurrent deliveries.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slots  chan struct{}
	// backoff of webhook redelivery; fields so that tests can shorten it.
	backoffStart, backoffMax time.Duration

	mu        sync.Mutex
	closed    bool
	numbers   map[string]number // by phone_number_id
	templates []openwaba.Template
	windows   map[windowKey]time.Time // when the window closes
	inbound   map[string]string       // wamid of inbound messages -> phone_number_id
	phones    map[string]string       // userKey(WABA, BSUID) -> the number of a user who wrote from one
	usernames map[string]string       // userKey(WABA, BSUID) -> username
	inject    []int                   // error codes for the next send requests
	limits    *limiter                // nil without Config.RateLimits
	sent      []SentRequest

	// Media files by id (media.go); mediaDir, when set (Open), keeps
	// them across restarts.
	media         map[string]*mediaFile
	mediaDir      string
	uploads       []Upload
	hold          chan struct{} // HoldDownloads
	failDownloads int
	downloads     int

	// owed keeps the status webhooks not yet taken in a file (Open); nil
	// keeps them in memory only (New). saveSoon asks the saver goroutine
	// to write progress that need not be waited for.
	owed     *ledger
	saveSoon chan struct{}
}

// number is a registered business phone number.
type number struct {
	PhoneNumberID string
	WABAID        string
	Display       string // digits only, as Meta's metadata has it
}

// New returns a sandbox serving the built-in templates and no numbers.
func New(cfg Config) *Sandbox {
	if cfg.StatusDelay <= 0 {
		cfg.StatusDelay = DefaultStatusDelay
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	s := &Sandbox{
		cfg:          cfg,
		log:          cfg.Logger,
		now:          cfg.Now,
		http:         cfg.HTTPClient,
		slots:        make(chan struct{}, webhookWorkers),
		backoffStart: 500 * time.Millisecond,
		backoffMax:   30 * time.Second,
		numbers:      make(map[string]number),
		templates:    builtinTemplates(),
		windows:      make(map[windowKey]time.Time),
		inbound:      make(map[string]string),
		phones:       make(map[string]string),
		usernames:    make(map[string]string),
		media:        make(map[string]*mediaFile),
	}
	if cfg.RateLimits != nil {
		s.limits = newLimiter(*cfg.RateLimits)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "sandbox")
	if s.now == nil {
		s.now = time.Now
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 10 * time.Second}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /{version}/{node}/messages", s.handleMessages)
	s.mux.HandleFunc("GET /{version}/{node}/message_templates", s.handleTemplates)
	s.mux.HandleFunc("POST /{version}/{node}/message_templates", s.handleCreateTemplate)
	s.mux.HandleFunc("DELETE /{version}/{node}/message_templates", s.handleDeleteTemplate)
	s.mux.HandleFunc("POST /{version}/{node}", s.handleEditTemplate)
	s.mux.HandleFunc("POST /{version}/{node}/media", s.handleUpload)
	s.mux.HandleFunc("GET /{version}/{node}", s.handleMediaInfo)
	s.mux.HandleFunc("DELETE /{version}/{node}", s.handleMediaDelete)
	s.mux.HandleFunc("GET /sandbox/media/{id}/download", s.handleDownload)
	s.mux.HandleFunc("POST /{node}/messages", s.handleMessages)
	s.mux.HandleFunc("GET /{node}/message_templates", s.handleTemplates)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		newError(2500, "Unknown path components: %s %s", r.Method, r.URL.Path).write(w)
	})
	return s
}

// Open is New with the status webhooks the sandbox owes kept in
// stateFile: those a previous sandbox on the same file had not delivered
// are resumed (from the first one not taken), and a send is answered only
// once its webhooks are saved. Meta does not forget the statuses it owes
// when the gateway restarts; with Open, neither does the sandbox. The file
// is the sandbox's own: one process at a time may use it.
func Open(cfg Config, stateFile string) (*Sandbox, error) {
	return open(cfg, stateFile, nil)
}

// open is Open; tweak, when set, adjusts the sandbox before any webhook
// goes out (tests shorten the backoff).
func open(cfg Config, stateFile string, tweak func(*Sandbox)) (*Sandbox, error) {
	l, owed, err := openLedger(stateFile)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := New(cfg)
	s.mediaDir = filepath.Join(filepath.Dir(stateFile), "sandbox-media")
	if err := os.MkdirAll(s.mediaDir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", errNoMediaDir, err)
	}
	if tweak != nil {
		tweak(s)
	}
	s.owed = l
	s.saveSoon = make(chan struct{}, 1)
	s.spawn(s.saver)
	for _, o := range owed {
		s.schedule(o.job())
	}
	if len(owed) > 0 {
		s.log.Info("resuming status webhooks owed before the restart", "messages", len(owed))
	}
	return s, nil
}

// ServeHTTP serves the Graph API endpoints.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// AddNumber registers a business phone number of the WhatsApp Business
// Account wabaID. displayNumber may be formatted; it is kept as digits.
func (s *Sandbox) AddNumber(phoneNumberID, wabaID, displayNumber string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.numbers[phoneNumberID] = number{PhoneNumberID: phoneNumberID, WABAID: wabaID, Display: digits(displayNumber)}
}

// Close stops webhook delivery and waits for its goroutines. Webhooks not
// delivered by then are dropped with the sandbox, or, opened with Open,
// saved for the next one.
func (s *Sandbox) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if s.owed != nil {
		if err := s.owed.save(s.owed.latest()); err != nil {
			s.log.Error("status webhooks owed may be sent again after the restart", "err", err)
		}
	}
}

// spawn runs f in a goroutine Close waits for; false once closed.
func (s *Sandbox) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// lookup finds a number with find among those added, and, when none is
// and Config.Numbers is set, among those it returns (which are added).
func (s *Sandbox) lookup(ctx context.Context, find func(number) bool) (number, bool) {
	if n, ok := s.find(find); ok || s.cfg.Numbers == nil {
		return n, ok
	}
	nums, err := s.cfg.Numbers(ctx)
	if err != nil {
		s.log.Warn("listing the business numbers", "err", err)
		return number{}, false
	}
	for _, n := range nums {
		s.AddNumber(n.PhoneNumberID, n.WABAID, n.Display)
	}
	return s.find(find)
}

func (s *Sandbox) find(match func(number) bool) (number, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.numbers {
		if match(n) {
			return n, true
		}
	}
	return number{}, false
}

func (s *Sandbox) numberByID(ctx context.Context, id string) (number, bool) {
	return s.lookup(ctx, func(n number) bool { return n.PhoneNumberID == id })
}

func (s *Sandbox) numberByDisplay(ctx context.Context, display string) (number, bool) {
	d := digits(display)
	return s.lookup(ctx, func(n number) bool { return n.Display == d })
}

func (s *Sandbox) knownWABA(ctx context.Context, id string) bool {
	_, ok := s.lookup(ctx, func(n number) bool { return n.WABAID == id })
	return ok
}

var versionRE = regexp.MustCompile(`^v[0-9]{1,2}\.[0-9]$`)

// checkRequest does what Graph does before looking at a request: the path
// version and the bearer token. Like Graph it tells the version used in
// the facebook-api-version header.
func (s *Sandbox) checkRequest(w http.ResponseWriter, r *http.Request) *apiError {
	v := r.PathValue("version")
	if v == "" {
		v = s.cfg.APIVersion
	}
	if !versionRE.MatchString(v) {
		return newError(2500, "Unknown path components: /%s", v)
	}
	w.Header().Set("facebook-api-version", v)
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" || token != s.cfg.AccessToken {
		return &apiError{Code: 190, Message: "Invalid OAuth access token - Cannot parse access token"}
	}
	return nil
}

// unknownNode is Graph's answer for an id it does not know.
func unknownNode(method, id string) *apiError {
	return &apiError{
		Code:    100,
		Subcode: 33,
		Type:    "GraphMethodException",
		Message: "Unsupported " + method + " request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
	}
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
