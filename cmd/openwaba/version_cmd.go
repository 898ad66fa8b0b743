package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// versionInfo is what the binary knows of its build (runtime/debug): the
// module version ("(devel)" for a build from a checkout, v1.2.3 for go
// install ...@v1.2.3), the VCS revision and time of a build from a git
// checkout, and the Go version.
type versionInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go_version"`
}

func buildVersion() versionInfo {
	v := versionInfo{Version: "(devel)", GoVersion: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.GoVersion = bi.GoVersion
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// short is the one line of --version.
func (v versionInfo) short() string {
	parts := []string{"openwaba " + v.Version}
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if v.Modified {
			rev += "-modified"
		}
		parts = append(parts, rev)
	}
	if v.Time != "" {
		parts = append(parts, v.Time)
	}
	return strings.Join(append(parts, v.GoVersion), " ")
}

func versionCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "print the version, VCS revision and time, and Go version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := buildVersion()
			if asJSON {
				return printAnswer(a.stdout, v)
			}
			fmt.Fprintf(a.stdout, "openwaba %s\n", v.Version)
			if v.Revision != "" {
				modified := ""
				if v.Modified {
					modified = " (modified)"
				}
				fmt.Fprintf(a.stdout, "revision: %s%s\n", v.Revision, modified)
			}
			if v.Time != "" {
				fmt.Fprintf(a.stdout, "time:     %s\n", v.Time)
			}
			fmt.Fprintf(a.stdout, "go:       %s\n", v.GoVersion)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print it as JSON")
	setAnnotation(cmd, noGlobals)
	return cmd
}
