package memory

import (
	"context"
	"sync"

	"github.com/notifypush/notify_push/ports"
)

// KeyValue is an in-process key-value store.
type KeyValue struct {
	mu sync.RWMutex
	m  map[string]string
}

var _ ports.KeyValue = (*KeyValue)(nil)

// NewKeyValue makes an empty store.
func NewKeyValue() *KeyValue { return &KeyValue{m: make(map[string]string)} }

// Get returns the value of key and whether it is set.
func (kv *KeyValue) Get(_ context.Context, key string) (string, bool, error) {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	v, ok := kv.m[key]
	return v, ok, nil
}

// Set stores value under key.
func (kv *KeyValue) Set(_ context.Context, key, value string) error {
	kv.mu.Lock()
	kv.m[key] = value
	kv.mu.Unlock()
	return nil
}
