package memory

import (
	"context"
	"fmt"
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

// Get returns the value of key and whether it is set. Like Redis, it refuses
// to work for a context that has ended.
func (kv *KeyValue) Get(ctx context.Context, key string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("get %s: %w", key, err)
	}
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	v, ok := kv.m[key]
	return v, ok, nil
}

// Set stores value under key, unless ctx has ended.
func (kv *KeyValue) Set(ctx context.Context, key, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	kv.mu.Lock()
	kv.m[key] = value
	kv.mu.Unlock()
	return nil
}
