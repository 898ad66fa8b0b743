package sqlstore

// writeGroup is how a group of requests (batch.Group) is written: write
// writes reqs together, setting errs[i] for a request it refuses (which
// then writes nothing) and returning an error when the write as a whole
// failed. If that happens to a group of several, each request is written
// alone, so that one request the database refuses cannot fail the others;
// a request alone that fails gets the write's error.
func writeGroup[R any](reqs []R, write func(reqs []R, errs []error) error) []error {
	errs := make([]error, len(reqs))
	err := write(reqs, errs)
	if err != nil && len(reqs) > 1 {
		for i := range reqs {
			errs[i] = writeGroup(reqs[i:i+1], write)[0]
		}
		return errs
	}
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}
