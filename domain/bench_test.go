package domain

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

func BenchmarkDecodeStorageUpdate(b *testing.B) {
	payload := []byte(`{"storage":12,"path":"files/Team/Design/logo.svg","file_id":3456789}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEvent(ChannelStorageUpdate, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeActivity(b *testing.B) {
	payload := []byte(`{"user":"alice"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEvent(ChannelActivity, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeFile(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		ids := make([]FileID, n)
		for i := range ids {
			ids[i] = FileID(1_000_000 + i)
		}
		b.Run("ids="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = EncodeFile(ids, false, true)
			}
		})
	}
}

func BenchmarkEncodeCustom(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = EncodeCustom("my_app_event", `{"id":7,"name":"x"}`)
	}
}

// BenchmarkDebounceMerge is one connection's file slot taking a burst of
// changes, then flushing them as one message.
func BenchmarkDebounceMerge(b *testing.B) {
	for _, burst := range []int{1, 10, 100} {
		b.Run("burst="+strconv.Itoa(burst), func(b *testing.B) {
			sub := NewSubscription(1)
			sub.ListenFileIDs()
			now := time.Unix(1_700_000_000, 0)
			var out []Outgoing
			b.ReportAllocs()
			for b.Loop() {
				for i := range burst {
					sub.AddFile(FileID(i%7), true, now)
				}
				now = now.Add(time.Hour)
				out = sub.Flush(now, time.Second, out[:0])
				if len(out) != 1 {
					b.Fatalf("flushed %d messages", len(out))
				}
			}
		})
	}
}

// BenchmarkUsersForPath is the mount rule applied to a storage shared with
// many users, as on every storage update.
func BenchmarkUsersForPath(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		mounts := make([]Mount, n)
		for i := range mounts {
			root := "files/Team"
			if i%3 == 0 {
				root = "files/Team/Design"
			}
			mounts[i] = Mount{User: UserID("user" + strconv.Itoa(i)), Root: root}
		}
		sorted := slices.Clone(mounts)
		SortMounts(sorted)
		for _, order := range []struct {
			name   string
			mounts []Mount
		}{{"unsorted", mounts}, {"sorted", sorted}} {
			b.Run("mounts="+strconv.Itoa(n)+"/"+order.name, func(b *testing.B) {
				b.ReportAllocs()
				var users []UserID
				for b.Loop() {
					if users = AppendUsersForPath(users[:0], order.mounts, "files/Team/notes.md"); len(users) == 0 {
						b.Fatal("nobody")
					}
				}
			})
		}
	}
}

func BenchmarkMergeFileTexts(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = MergeFileTexts("notify_file_id [1,2,3]", "notify_file_id [3,4]")
	}
}

// BenchmarkFileBurstInto1000Connections is a 4,096-file upload into a
// folder shared with 1,000 listening connections: every connection's file
// slot takes every id, on the event goroutine, before anything is sent.
func BenchmarkFileBurstInto1000Connections(b *testing.B) {
	const conns, burst = 1000, MaxPendingFileIDs
	subs := make([]Subscription, conns)
	now := time.Unix(1_700_000_000, 0)
	var out []Outgoing
	b.ReportAllocs()
	for b.Loop() {
		for i := range subs {
			subs[i] = NewSubscription(1)
			subs[i].ListenFileIDs()
		}
		for id := range burst {
			for i := range subs {
				subs[i].AddFile(FileID(1_000_000+id), true, now)
			}
		}
		for i := range subs {
			if out = subs[i].FlushAll(now, out[:0]); len(out) != 1 || out[0].Text == TextNotifyFile {
				b.Fatalf("connection %d flushed %v", i, out)
			}
		}
	}
}
