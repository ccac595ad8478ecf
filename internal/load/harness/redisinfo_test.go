package harness

import (
	"math"
	"testing"
)

func TestParseRedisInfo(t *testing.T) {
	info := "# Clients\r\nconnected_clients:5\r\n\r\n# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n" +
		"used_memory_rss:8388608\r\n\r\n# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:0.750000\r\nused_cpu_sys_children:0.000000\r\n"
	s, err := parseRedisInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.CPUSeconds-2) > 1e-9 || s.UsedMemory != 1<<20 || s.RSS != 8<<20 || s.Clients != 5 || s.BufferDisconnects != -1 {
		t.Fatalf("%+v", s)
	}
	s2, err := parseRedisInfo(info + "client_output_buffer_limit_disconnections:2\r\n")
	if err != nil || s2.BufferDisconnects != 2 {
		t.Fatalf("7.2's counter: %+v %v", s2, err)
	}
	if sum := s2.Plus(s2); sum.CPUSeconds != 4 || sum.Clients != 10 || sum.BufferDisconnects != 4 || s.Plus(s2).BufferDisconnects != -1 {
		t.Fatalf("sum %+v", sum)
	}
	if _, err := parseRedisInfo("# Server\r\nredis_version:7.0.15\r\n"); err == nil {
		t.Fatal("INFO without the CPU and memory fields parsed")
	}
	if _, err := parseRedisInfo("used_cpu_user:x\r\nused_cpu_sys:1\r\nused_memory:1\r\n"); err == nil {
		t.Fatal("a field that is not a number parsed")
	}
}
