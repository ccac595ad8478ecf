package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/notifypush/notify_push/domain"
)

func TestMetricsExposition(t *testing.T) {
	c := domain.NewCounters()
	c.ActiveConnections.Add(3)
	c.ActiveUsers.Add(2)
	c.TotalConnections.Add(7)
	c.MappingQueries.Add(4)
	c.EventsReceived.Add(9)
	c.MessageSent(domain.KindFile)
	c.MessageSent(domain.KindFile)
	c.MessageSent(domain.KindCustom)
	c.ClientConnected(domain.ClientDesktop)
	c.ClientConnected(domain.ClientAndroid)
	c.ClientMessageWritten(domain.ClientAndroid, 3)
	c.AuthFailed(domain.AuthFailureInvalidCredentials)
	c.EventOn(domain.ChannelActivity)
	c.SlowClientCloses.Add(1)
	c.FloodingClientCloses.Add(5)
	c.DatabaseErrors.Add(2)
	c.RedisErrors.Add(3)
	c.Resynced(domain.ResyncRedis, 5)
	c.Resynced(domain.ResyncRedis, 6)
	route, err := NewMetricsRoute(c, "cloud-push-1")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	route.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("the client library's parser refuses our text: %v", err)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		f, ok := families[name]
		if !ok {
			t.Fatalf("series %s missing", name)
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
		t.Fatalf("series %s%v missing", name, labels)
		return 0
	}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"active_connection_count", nil, 3},
		{"active_user_count", nil, 2},
		{"total_connection_count", nil, 7},
		{"mapping_query_count", nil, 4},
		{"event_count_total", nil, 9},
		{"message_count_total", nil, 3},
		{"message_count_total", map[string]string{"type": "file"}, 2},
		{"message_count_total", map[string]string{"type": "custom"}, 1},
		{"message_count_total", map[string]string{"type": "activity"}, 0},
		{"message_count_total", map[string]string{"type": "notification"}, 0},
		{"client_connection_count", map[string]string{"client": "desktop"}, 1},
		{"client_connection_count", map[string]string{"client": "android"}, 1},
		{"client_connection_count", map[string]string{"client": "web"}, 0},
		{"client_message_count_total", map[string]string{"client": "android"}, 1},
		{"auth_failure_count_total", map[string]string{"reason": "invalid_credentials"}, 1},
		{"auth_failure_count_total", map[string]string{"reason": "nextcloud_error"}, 0},
		{"event_by_channel_count_total", map[string]string{"channel": "notify_activity"}, 1},
		{"event_by_channel_count_total", map[string]string{"channel": "notify_storage_update"}, 0},
		{"slow_client_disconnect_count_total", nil, 1},
		{"abusive_client_disconnect_count_total", nil, 5},
		{"database_error_count_total", nil, 2},
		{"redis_error_count_total", nil, 3},
		{"resync_count_total", map[string]string{"reason": "redis"}, 2},
		{"resync_count_total", map[string]string{"reason": "database"}, 0},
		{"resync_client_count_total", map[string]string{"reason": "redis"}, 11},
		{"instance_info", map[string]string{"instance_id": "cloud-push-1"}, 1},
		{"instance_count", nil, 1},
	} {
		if got := value(tt.name, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	for _, runtime := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := families[runtime]; !ok {
			t.Errorf("%s missing", runtime)
		}
	}
}
