package domain

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestUsersForPath(t *testing.T) {
	mounts := []Mount{
		{User: "alice", Root: ""},
		{User: "bob", Root: "files/Team"},
		{User: "carol", Root: "files/Team/Design"},
		{User: "bob", Root: "files/Team/Design"}, // second mount of bob
		{User: "dave", Root: "files/a"},
	}
	tests := []struct {
		name string
		path string
		want []UserID
	}{
		{"root of storage reaches only whole-storage mounts", "", []UserID{"alice"}},
		{"deep path reaches every prefix, each user once", "files/Team/Design/logo.png", []UserID{"alice", "bob", "carol"}},
		{"sibling folder", "files/Team/notes.md", []UserID{"alice", "bob"}},
		{"outside every share", "files/other.txt", []UserID{"alice"}},
		{"a root is a folder, not a string prefix", "files/ab", []UserID{"alice"}},
		{"inside the folder", "files/a/b", []UserID{"alice", "dave"}},
		{"a sibling sharing the folder's name as prefix", "files/Team-old/x", []UserID{"alice"}},
		{"exact root path", "files/Team", []UserID{"alice", "bob"}},
		{"case sensitive", "files/team/x", []UserID{"alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UsersForPath(mounts, tt.path); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("UsersForPath(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
	if got := UsersForPath(nil, "x"); got != nil {
		t.Fatalf("no mounts: got %v", got)
	}
}

// Past the linear search, duplicates are still dropped and order kept.
func TestUsersForPathManyUsers(t *testing.T) {
	var mounts []Mount
	var want []UserID
	for i := range 3 * linearUserSearch {
		u := UserID(fmt.Sprintf("user%02d", i))
		mounts = append(mounts, Mount{User: u, Root: "files"}, Mount{User: u, Root: ""}, Mount{User: "other", Root: "elsewhere"})
		if i > 0 {
			mounts = append(mounts, Mount{User: UserID(fmt.Sprintf("user%02d", i-1)), Root: ""})
		}
		want = append(want, u)
	}
	got := UsersForPath(mounts, "files/x")
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}
