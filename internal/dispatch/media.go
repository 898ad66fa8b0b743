package dispatch

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/media"
)

// reupload is how long before WhatsApp forgets an uploaded file the
// gateway uploads it again: a message never names an id that expires on
// its way.
const reupload = 24 * time.Hour

// withMedia gives a message that names a stored file (Media.FileID, or
// a template's media header) WhatsApp's media id for it (metaID). The
// message's content is copied, never changed in place.
func (d *Dispatcher) withMedia(ctx context.Context, sender openwaba.Sender, m openwaba.Message) (openwaba.Message, error) {
	if md := m.Content.Media; md != nil && md.FileID != 0 {
		id, err := d.metaID(ctx, sender, m.AccountID, md.FileID)
		if err != nil {
			return m, err
		}
		c := *md
		c.MetaID = id
		m.Content.Media = &c
	}
	if t := m.Content.Template; t != nil {
		for i, h := range t.Header {
			if h.FileID == 0 {
				continue
			}
			id, err := d.metaID(ctx, sender, m.AccountID, h.FileID)
			if err != nil {
				return m, err
			}
			c := *t
			c.Header = append([]openwaba.TemplateParam(nil), t.Header...)
			c.Header[i].MetaID = id
			m.Content.Template, t = &c, &c
		}
	}
	return m, nil
}

// metaID is WhatsApp's media id for a stored file of the account: the one
// uploaded from this sender before, while WhatsApp keeps it, else a new
// upload. Concurrent messages with the same file upload it once (uploads,
// by sender and hash); several nodes pace a sender on one node at a
// time, so they do not race either. A file deleted since the accept fails
// the message for good.
func (d *Dispatcher) metaID(ctx context.Context, sender openwaba.Sender, accountID, fileID int64) (string, error) {
	f, err := d.cfg.Store.Media(ctx, accountID, fileID)
	if err == nil && f.Expired(d.now()) {
		err = openwaba.ErrNotFound
	}
	if errors.Is(err, openwaba.ErrNotFound) {
		return "", &openwaba.UpstreamError{Code: openwaba.CodeBadRequest, Title: "media file deleted or expired",
			Details: fmt.Sprintf("file %d is no longer stored", fileID)}
	}
	if err != nil {
		return "", err
	}
	up, ok := d.cfg.Upstream.(openwaba.MediaUploader)
	if !ok {
		return "", &openwaba.UpstreamError{Title: "the upstream takes no uploads"}
	}
	key := sender.Number + "/" + hex.EncodeToString(f.SHA256)
	v, err, _ := d.uploads.Do(key, func() (any, error) {
		now := d.now()
		if id, ok, err := d.cfg.Store.UploadedMedia(ctx, sender.Number, f.SHA256, now); err != nil || ok {
			return id, err
		}
		id, err := up.Upload(ctx, sender, f.MIMEType, f.Filename, media.NewReader(ctx, d.cfg.Store, f))
		if err != nil {
			return "", err
		}
		d.log.Info("uploaded a media file to WhatsApp", "sender", sender.Number, "file", f.ID, "size", f.Size)
		if err := d.cfg.Store.PutUploadedMedia(ctx, sender.Number, f.SHA256, id, now.Add(openwaba.MetaMediaLifetime-reupload)); err != nil {
			d.log.Warn("remembering an uploaded media id; the next message uploads again", "err", err)
		}
		return id, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// uploadInstead is media mode auto: a link WhatsApp could not fetch
// (131053: rate-limited by the host's network, a redirect, a slow host) is
// fetched once by the gateway, stored, and the message goes again at once
// with the uploaded file. It reports false when that does not apply or
// fails; the message then ends as WhatsApp answered.
func (d *Dispatcher) uploadInstead(ctx context.Context, sender openwaba.Sender, m openwaba.Message, sendErr error) (openwaba.Message, bool) {
	ue, ok := openwaba.AsUpstreamError(sendErr)
	md := m.Content.Media
	if !ok || ue.Code != openwaba.MetaCodeMediaUpload || md == nil || md.URL == "" || md.FileID != 0 || d.cfg.FetchMedia == nil {
		return m, false
	}
	acct, err := d.cfg.Store.Account(ctx, m.AccountID)
	if err != nil || acct.MediaMode != openwaba.MediaAuto {
		return m, false
	}
	log := d.log.With("id", m.ID, "sender", m.Sender)
	id, err := d.cfg.FetchMedia(ctx, m.AccountID, md.URL)
	if err != nil {
		log.Warn("media mode auto: fetching the link WhatsApp could not fetch", "err", err)
		return m, false
	}
	c := *md
	c.FileID = id
	m.Content.Media = &c
	m, err = d.withMedia(ctx, sender, m)
	if err != nil {
		log.Warn("media mode auto: uploading the link's file", "err", err)
		return m, false
	}
	log.Info("media mode auto: WhatsApp could not fetch the link; sending the file uploaded")
	return m, true
}
