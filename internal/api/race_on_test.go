//go:build race

package api_test

// raceEnabled: the race detector is on (go test -race).
const raceEnabled = true
