package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"sync"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// Source is where inbound media comes from: the Graph API (meta.Client).
type Source interface {
	MediaInfo(ctx context.Context, mediaID, phoneNumberID string) (meta.MediaInfo, error)
	DownloadMedia(ctx context.Context, mediaURL string) (io.ReadCloser, error)
}

// Defaults of DownloaderConfig.
const (
	DefaultDownloadLease   = 10 * time.Minute
	DefaultDownloadWorkers = 4
	downloadPoll           = time.Second
)

// DownloaderConfig configures a Downloader.
type DownloaderConfig struct {
	Store  openwaba.Store
	Source Source
	Logger *slog.Logger
	// Lease is how long a claimed download is another node's to retry
	// only after; a download never takes longer (it is cancelled).
	Lease   time.Duration
	Workers int
	// Retention is how long files are kept when the account sets none.
	Retention time.Duration
	// RetryBase is the first wait after a failed download
	// (openwaba.DefaultMediaRetry when zero); tests shorten it.
	RetryBase time.Duration
	Now       func() time.Time
	// Stored, when set, is called after a download was settled: a wa_mo
	// is in the outbox (the webhook deliverer's Notify).
	Stored func()
}

// Downloader fetches the media of inbound messages: the durable queue of
// downloads RecordInbound fills, claimed with leases like the webhook
// outbox. A crash, a timeout or a 5xx from Meta leaves the download in the
// queue to be retried (openwaba.NextMediaAttempt); the message's wa_mo
// goes once the file is stored, or without it when the download is given
// up.
type Downloader struct {
	cfg  DownloaderConfig
	wake chan struct{}
}

// NewDownloader returns a Downloader of cfg.
func NewDownloader(cfg DownloaderConfig) *Downloader {
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultDownloadLease
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultDownloadWorkers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Downloader{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Notify wakes the downloader: an inbound message with media may have
// been stored.
func (d *Downloader) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run downloads until ctx ends. Downloads in flight are cancelled then:
// their leases run out and they are claimed again (here after a restart,
// or by another node).
func (d *Downloader) Run(ctx context.Context) {
	slots := make(chan struct{}, d.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		free := d.cfg.Workers - len(slots)
		var jobs []openwaba.MediaDownload
		if free > 0 {
			var err error
			jobs, err = d.cfg.Store.ClaimMediaDownloads(ctx, d.cfg.Now(), d.cfg.Lease, free)
			if err != nil && ctx.Err() == nil {
				d.cfg.Logger.Error("claiming media downloads", "err", err)
			}
		}
		for _, j := range jobs {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				d.process(ctx, j)
				d.Notify() // a slot is free: look again at once
			})
		}
		if len(jobs) == free && free > 0 {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-time.After(downloadPoll):
		}
	}
}

// process downloads one file and settles the download: stored, retried
// later, or given up.
func (d *Downloader) process(ctx context.Context, j openwaba.MediaDownload) {
	jctx, cancel := context.WithTimeout(ctx, d.cfg.Lease)
	defer cancel()
	err := d.fetch(jctx, j)
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the download is claimed again
	}
	settle := context.WithoutCancel(ctx)
	log := d.cfg.Logger.With("inbound", j.InboundID, "media_id", j.Media.ID, "attempt", j.Attempts)
	switch {
	case err == nil:
	case errors.Is(err, errSettled):
		// Another claimer settled it first (a lease that ran out).
		log.Info("media download settled elsewhere", "err", err)
		return
	default:
		next, retry := openwaba.NextMediaAttempt(j, d.cfg.Now(), permanent(err), d.cfg.RetryBase)
		if retry {
			log.Warn("media download failed; retrying", "err", err, "next", next)
			if rerr := d.cfg.Store.RetryMediaDownload(settle, j.InboundID, next, err.Error()); rerr != nil {
				log.Error("media download: keeping the retry", "err", rerr)
			}
			return
		}
		log.Warn("media download given up; wa_mo goes without the file", "err", err)
		if ferr := d.cfg.Store.MediaDownloadFailed(settle, j.InboundID, err.Error()); ferr != nil {
			log.Error("media download: giving up", "err", ferr)
			return
		}
	}
	if d.cfg.Stored != nil {
		d.cfg.Stored()
	}
}

// errSettled is a download another claimer settled first.
var errSettled = errors.New("media download settled elsewhere")

// errPermanent marks failures another attempt does not mend.
var errPermanent = errors.New("permanent")

// permanent reports whether err is worth no other attempt: Meta refused
// (an expired media id, a bad token is also not mended by retrying within
// the hour), or the file breaks a limit.
func permanent(err error) bool {
	if errors.Is(err, errPermanent) || errors.Is(err, ErrTooLarge) {
		return true
	}
	if ue, ok := openwaba.AsUpstreamError(err); ok {
		return !ue.Retryable
	}
	return false
}

func (d *Downloader) fetch(ctx context.Context, j openwaba.MediaDownload) error {
	st := d.cfg.Store
	sender, err := st.Sender(ctx, j.AccountID, j.Sender)
	if err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			return fmt.Errorf("%w: sender %s is gone: %w", errPermanent, j.Sender, err)
		}
		return err
	}
	info, err := d.cfg.Source.MediaInfo(ctx, j.Media.ID, sender.PhoneNumberID)
	if err != nil {
		return err
	}
	if info.Size > openwaba.MaxMediaSize {
		return fmt.Errorf("%w: Meta says %d bytes", ErrTooLarge, info.Size)
	}
	want := info.SHA256
	if want == "" {
		want = j.Media.SHA256
	}
	sum, hashed := openwaba.ParseMediaSHA256(want)
	body, err := d.cfg.Source.DownloadMedia(ctx, info.URL)
	if err != nil {
		return err
	}
	defer body.Close()
	mimeType := info.MIMEType
	if mimeType == "" {
		mimeType = j.Media.MIMEType
	}
	now := d.cfg.Now()
	expires, err := Expiry(ctx, st, j.AccountID, d.cfg.Retention, now)
	if err != nil {
		return err
	}
	f, err := st.CreateMedia(ctx, openwaba.MediaFile{
		AccountID: j.AccountID, MIMEType: mimeType, Filename: filename(j.Media, mimeType), CreatedAt: now, ExpiresAt: expires,
	})
	if err != nil {
		return err
	}
	size, got, err := Write(ctx, st, f.ID, body, openwaba.MaxMediaSize)
	switch {
	case err != nil:
	case info.Size >= 0 && size != info.Size:
		err = fmt.Errorf("download of media %s: %d bytes, Meta said %d", j.Media.ID, size, info.Size)
	case hashed && string(got) != string(sum):
		err = fmt.Errorf("download of media %s: SHA-256 %x, Meta said %x", j.Media.ID, got, sum)
	default:
		err = st.MediaDownloaded(ctx, j.InboundID, f.ID, size, got)
		if err == nil {
			return nil
		}
		if errors.Is(err, openwaba.ErrNotFound) {
			err = fmt.Errorf("%w: %w", errSettled, err)
		}
	}
	// The file is incomplete or not wanted; a retry makes a new one.
	_ = st.DeleteMedia(context.WithoutCancel(ctx), j.AccountID, f.ID)
	return err
}

// filename is the name a downloaded file is served under: WhatsApp's
// (documents), or the media id with an extension of its type.
func filename(m openwaba.MediaRef, mimeType string) string {
	if m.Filename != "" {
		return m.Filename
	}
	ext := ""
	switch openwaba.BaseMIMEType(mimeType) {
	case "image/jpeg":
		ext = ".jpg"
	case "audio/ogg":
		ext = ".ogg"
	case "audio/mpeg":
		ext = ".mp3"
	default:
		if exts, _ := mime.ExtensionsByType(openwaba.BaseMIMEType(mimeType)); len(exts) > 0 {
			ext = exts[0]
		}
	}
	return m.Type + "-" + m.ID + ext
}

// Sweep deletes expired files (and files left unfinished) every interval
// until ctx ends.
func Sweep(ctx context.Context, st openwaba.MediaStore, interval time.Duration, now func() time.Time, log *slog.Logger) {
	if now == nil {
		now = time.Now
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := st.DeleteExpiredMedia(ctx, now(), 100)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("deleting expired media", "err", err)
				}
				break
			}
			if n > 0 {
				log.Info("deleted expired media files", "files", n)
			}
			if n < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
