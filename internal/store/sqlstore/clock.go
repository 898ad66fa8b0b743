package sqlstore

import "time"

// utcNow is now in UTC, as rows are stamped.
func utcNow(now func() time.Time) func() time.Time {
	return func() time.Time { return now().UTC() }
}
