package media

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// DefaultURLLifetime is how long a media_url of a wa_mo webhook works:
// long enough for a receiver that was down for a day to fetch it when
// the webhook's retries reach it. GET /api/waba/media/{id} with the API
// key works as long as the file is kept.
const DefaultURLLifetime = 7 * 24 * time.Hour

// Signer makes and checks media URLs: PublicURL/media/{id}?a=&e=&s=, an
// HMAC-SHA256 over the account, the file and the expiry with a key the
// store keeps (openwaba.MediaStore.MediaSecret), never the API key. A URL
// names one file of one account and works until it expires.
type Signer struct {
	Key       []byte
	PublicURL string        // the gateway's base URL, without trailing slash
	Lifetime  time.Duration // DefaultURLLifetime when zero
}

// ErrBadSignature is Verify's answer to a URL the gateway did not make,
// or one that expired.
var ErrBadSignature = errors.New("invalid or expired media URL")

func (s Signer) mac(accountID, fileID, expires int64) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("openwaba media v1\n" + strconv.FormatInt(accountID, 10) + "\n" +
		strconv.FormatInt(fileID, 10) + "\n" + strconv.FormatInt(expires, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URL returns the signed URL of a file of the account, valid from now
// for the lifetime, and when it expires.
func (s Signer) URL(accountID, fileID int64, now time.Time) (string, time.Time) {
	life := s.Lifetime
	if life <= 0 {
		life = DefaultURLLifetime
	}
	exp := now.Add(life).Unix()
	q := url.Values{"a": {strconv.FormatInt(accountID, 10)}, "e": {strconv.FormatInt(exp, 10)}, "s": {s.mac(accountID, fileID, exp)}}
	return s.PublicURL + "/media/" + strconv.FormatInt(fileID, 10) + "?" + q.Encode(), time.Unix(exp, 0)
}

// Verify checks the query of a request for file fileID and returns the
// account it was signed for.
func (s Signer) Verify(fileID int64, q url.Values, now time.Time) (int64, error) {
	account, err1 := strconv.ParseInt(q.Get("a"), 10, 64)
	exp, err2 := strconv.ParseInt(q.Get("e"), 10, 64)
	if err1 != nil || err2 != nil || len(s.Key) == 0 {
		return 0, ErrBadSignature
	}
	if !hmac.Equal([]byte(q.Get("s")), []byte(s.mac(account, fileID, exp))) || !now.Before(time.Unix(exp, 0)) {
		return 0, ErrBadSignature
	}
	return account, nil
}
