package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/batch"
)

// repoFile is a file of the repository, from this package's directory.
func repoFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seriesNames are the names a scrape of a busy gateway has: every family
// of the registry, with each hook called once and the store reporting a
// backlog, and the _bucket, _count and _sum series of the histograms;
// plus up, which Prometheus adds.
func seriesNames(t *testing.T) map[string]bool {
	t.Helper()
	now := time.Now()
	m := New(Config{Store: &fakeStore{
		senders: []openwaba.Sender{{Number: "49001"}},
		stats: openwaba.QueueStats{
			Senders: []openwaba.SenderQueue{{Sender: "49001", Due: 1, OldestDue: now}},
			Hooks:   []openwaba.HookQueue{{HookID: 1, Pending: 1, OldestPending: now, Dead: 1}},
		},
		groups: map[string]batch.Sizes{"accept": {Groups: 1, Requests: 1}},
	}})
	m.Accepted(1, []openwaba.Message{{}})
	m.BalanceRefused(1, 1)
	m.Sent("ok", 0)
	m.PacingWait(0)
	m.SenderLeases(1)
	m.StatusReport(openwaba.StatusSent)
	m.Inbound("text")
	m.Delivery(openwaba.HookDLR, "delivered")
	m.responses.WithLabelValues("/", "404", "404").Inc()
	m.acceptDuration.Observe(0)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{"up": true}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM || mf.GetType() == dto.MetricType_SUMMARY {
			for _, s := range []string{"_bucket", "_count", "_sum"} {
				names[mf.GetName()+s] = true
			}
		}
	}
	return names
}

// metricRef finds the metric names an expression uses: the gateway's
// and those of the Go and process collectors, and up.
var metricRef = regexp.MustCompile(`\b(?:(?:openwaba|go|process)_[a-z0-9_]+|up)\b`)

// checkExpr fails the test for each metric of expr the registry lacks,
// and when expr uses none of the gateway's own.
func checkExpr(t *testing.T, where, expr string, names map[string]bool) []string {
	t.Helper()
	refs := metricRef.FindAllString(expr, -1)
	if len(refs) == 0 {
		t.Errorf("%s: %q uses no metric", where, expr)
	}
	for _, r := range refs {
		if !names[r] {
			t.Errorf("%s: %q uses %s, which the registry does not have", where, expr, r)
		}
	}
	if strings.Count(expr, "(") != strings.Count(expr, ")") || strings.Count(expr, "{") != strings.Count(expr, "}") {
		t.Errorf("%s: unbalanced brackets in %q", where, expr)
	}
	return refs
}

// TestAlertRules: deploy/prometheus/alerts.yaml is a Prometheus rule file
// whose alerts each name metrics the gateway has, a severity, a summary
// and a description.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(repoFile(t, "deploy/prometheus/alerts.yaml"))))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	names := seriesNames(t)
	seen := map[string]bool{}
	rules := 0
	for _, g := range file.Groups {
		if g.Name == "" {
			t.Error("a group without a name")
		}
		for _, r := range g.Rules {
			rules++
			where := "alert " + r.Alert
			if r.Alert == "" || seen[r.Alert] {
				t.Errorf("alert name %q is empty or repeated", r.Alert)
			}
			seen[r.Alert] = true
			checkExpr(t, where, r.Expr, names)
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", where, r.For, err)
				}
			}
			if s := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, s) {
				t.Errorf("%s: severity %q, want critical, warning or info", where, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", where)
			}
		}
	}
	if rules < 5 {
		t.Errorf("%d alert rules, want the set docs/operations.md describes", rules)
	}
}

// TestDashboard: deploy/grafana/openwaba.json is a Grafana dashboard whose
// panels query metrics the gateway has, and that shows every family of the
// gateway's own; docs/operations.md lists each family too.
func TestDashboard(t *testing.T) {
	t.Parallel()
	var dash struct {
		Title         string `json:"title"`
		UID           string `json:"uid"`
		SchemaVersion int    `json:"schemaVersion"`
		Templating    struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			GridPos struct {
				H, W, X, Y int
			} `json:"gridPos"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(repoFile(t, "deploy/grafana/openwaba.json"), &dash); err != nil {
		t.Fatalf("openwaba.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" || dash.SchemaVersion == 0 {
		t.Errorf("title %q, uid %q, schemaVersion %d: all are needed", dash.Title, dash.UID, dash.SchemaVersion)
	}
	vars := map[string]bool{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = true
	}
	if !vars["datasource"] || !vars["instance"] {
		t.Errorf("variables %v, want datasource and instance", vars)
	}
	names := seriesNames(t)
	used := map[string]bool{"openwaba_build_info": true} // the instance variable's query
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		where := "panel " + p.Title
		if ids[p.ID] {
			t.Errorf("%s: id %d repeated", where, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("%s: gridPos %+v", where, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s has no query", where)
		}
		for _, tg := range p.Targets {
			for _, r := range checkExpr(t, where, tg.Expr, names) {
				used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(r, "_bucket"), "_count"), "_sum")] = true
			}
		}
	}
	docs := string(repoFile(t, "docs/operations.md"))
	for name := range names {
		if !strings.HasPrefix(name, "openwaba_") || strings.HasSuffix(name, "_bucket") || strings.HasSuffix(name, "_count") || strings.HasSuffix(name, "_sum") {
			continue
		}
		if !used[name] {
			t.Errorf("no panel shows %s", name)
		}
		if !strings.Contains(docs, "`"+name+"`") {
			t.Errorf("docs/operations.md does not list %s", name)
		}
	}
}
