package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/notifypush/notify_push/domain"
)

// MetricsRoute serves GET /metrics in the Prometheus text format, with
// upstream's series names, plus the Go runtime and process collectors.
type MetricsRoute struct {
	handler http.Handler
}

// InstanceID names the server among the instances that share its Redis.
type InstanceID string

// NewMetricsRoute exposes counters through a registry of its own (no global
// state), so tests and several servers in one process do not collide.
func NewMetricsRoute(counters *domain.Counters, instance InstanceID) (*MetricsRoute, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		counterCollector{c: counters, instance: string(instance)},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return &MetricsRoute{handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}, nil
}

// Register mounts the route on mux.
func (m *MetricsRoute) Register(mux *http.ServeMux) {
	mux.Handle("GET /metrics", m.handler)
}

var (
	descActiveConnections = prometheus.NewDesc("active_connection_count", "Number of active client connections", nil, nil)
	descActiveUsers       = prometheus.NewDesc("active_user_count", "Number of users with at least one connection", nil, nil)
	descTotalConnections  = prometheus.NewDesc("total_connection_count", "Number of client connections made since start", nil, nil)
	descMappingQueries    = prometheus.NewDesc("mapping_query_count", "Number of storage mapping queries run against the database", nil, nil)
	descEvents            = prometheus.NewDesc("event_count_total", "Number of events received from Nextcloud", nil, nil)
	// Upstream writes the total and the per-type counts in one family: one
	// sample without labels and one per type.
	descMessages       = prometheus.NewDesc("message_count_total", "Number of messages sent to clients", nil, nil)
	descMessagesByType = prometheus.NewDesc("message_count_total", "Number of messages sent to clients", []string{"type"}, nil)
)

// Series of ours beyond upstream's.
var (
	descClientConnections = prometheus.NewDesc("client_connection_count", "Number of active client connections by client kind (from the User-Agent)", []string{"client"}, nil)
	descClientMessages    = prometheus.NewDesc("client_message_count_total", "Number of messages written to clients by client kind", []string{"client"}, nil)
	descAuthFailures      = prometheus.NewDesc("auth_failure_count_total", "Number of failed logins by reason", []string{"reason"}, nil)
	descEventsByChannel   = prometheus.NewDesc("event_by_channel_count_total", "Number of events received from Nextcloud by Redis channel", []string{"channel"}, nil)
	descSlowClientCloses  = prometheus.NewDesc("slow_client_disconnect_count_total", "Number of connections closed because the client did not read its messages", nil, nil)
	descFloodingCloses    = prometheus.NewDesc("abusive_client_disconnect_count_total", "Number of connections closed because the client sent more frames than its allowance", nil, nil)
	descDatabaseErrors    = prometheus.NewDesc("database_error_count_total", "Number of storage updates dropped because their mapping could not be loaded", nil, nil)
	descRedisErrors       = prometheus.NewDesc("redis_error_count_total", "Number of Redis connection losses and failed Redis operations", nil, nil)
	descResyncs           = prometheus.NewDesc("resync_count_total", "Number of times clients were told to re-check because events may have been lost, by cause", []string{"reason"}, nil)
	descResyncedClients   = prometheus.NewDesc("resync_client_count_total", "Number of connections told to re-check because events may have been lost, by cause", []string{"reason"}, nil)
	descInstanceInfo      = prometheus.NewDesc("instance_info", "This server's name among the servers sharing its Redis (always 1)", []string{"instance_id"}, nil)
	descInstances         = prometheus.NewDesc("instance_count", "Number of servers sharing this one's Redis, itself included, when the app last asked for metrics", nil, nil)
)

// counterCollector reads the hot-path atomics only when scraped.
type counterCollector struct {
	c        *domain.Counters
	instance string
}

// Describe sends nothing: the collector is unchecked, because the registry
// refuses two descriptors of one family with different labels, which is
// exactly upstream's message_count_total.
func (counterCollector) Describe(chan<- *prometheus.Desc) {}

func (cc counterCollector) Collect(ch chan<- prometheus.Metric) {
	s := cc.c.Snapshot()
	ch <- prometheus.MustNewConstMetric(descActiveConnections, prometheus.GaugeValue, float64(s.ActiveConnectionCount))
	ch <- prometheus.MustNewConstMetric(descActiveUsers, prometheus.GaugeValue, float64(s.ActiveUserCount))
	ch <- prometheus.MustNewConstMetric(descTotalConnections, prometheus.CounterValue, float64(s.TotalConnectionCount))
	ch <- prometheus.MustNewConstMetric(descMappingQueries, prometheus.CounterValue, float64(s.MappingQueryCount))
	ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(s.EventsReceived))
	ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(s.MessagesSent))
	for _, k := range []struct {
		label string
		n     uint64
	}{
		{"file", s.MessagesSentFile},
		{"notification", s.MessagesSentNotification},
		{"activity", s.MessagesSentActivity},
		{"custom", s.MessagesSentCustom},
	} {
		ch <- prometheus.MustNewConstMetric(descMessagesByType, prometheus.CounterValue, float64(k.n), k.label)
	}
	for _, k := range domain.ClientKinds {
		ch <- prometheus.MustNewConstMetric(descClientConnections, prometheus.GaugeValue, float64(cc.c.ClientConnections(k)), k.String())
		ch <- prometheus.MustNewConstMetric(descClientMessages, prometheus.CounterValue, float64(cc.c.ClientMessages(k)), k.String())
	}
	for _, f := range domain.AuthFailures {
		ch <- prometheus.MustNewConstMetric(descAuthFailures, prometheus.CounterValue, float64(cc.c.AuthFailuresOf(f)), f.String())
	}
	for _, name := range domain.Channels {
		ch <- prometheus.MustNewConstMetric(descEventsByChannel, prometheus.CounterValue, float64(cc.c.EventsOn(name)), name)
	}
	ch <- prometheus.MustNewConstMetric(descSlowClientCloses, prometheus.CounterValue, float64(cc.c.SlowClientCloses.Load()))
	ch <- prometheus.MustNewConstMetric(descFloodingCloses, prometheus.CounterValue, float64(cc.c.FloodingClientCloses.Load()))
	ch <- prometheus.MustNewConstMetric(descDatabaseErrors, prometheus.CounterValue, float64(cc.c.DatabaseErrors.Load()))
	ch <- prometheus.MustNewConstMetric(descRedisErrors, prometheus.CounterValue, float64(cc.c.RedisErrors.Load()))
	ch <- prometheus.MustNewConstMetric(descInstanceInfo, prometheus.GaugeValue, 1, cc.instance)
	ch <- prometheus.MustNewConstMetric(descInstances, prometheus.GaugeValue, float64(max(cc.c.Instances.Load(), 1)))
	for _, r := range domain.ResyncReasons {
		ch <- prometheus.MustNewConstMetric(descResyncs, prometheus.CounterValue, float64(cc.c.Resyncs(r)), r.String())
		ch <- prometheus.MustNewConstMetric(descResyncedClients, prometheus.CounterValue, float64(cc.c.ResyncedClients(r)), r.String())
	}
}
