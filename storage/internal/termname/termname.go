// Package termname holds what the SQL backends share about the integers
// they key index terms by: a record type and term name (Key) stands for one
// integer of their term_names table, and Cache keeps the committed ones.
package termname

import "sync"

// Key is a record type and a term name.
type Key struct{ Type, Name string }

// Cache holds committed integers of keys, safe for concurrent use. An
// integer never changes meaning once committed, so the cache is never
// invalidated; callers add integers only once their transaction committed.
// The zero Cache is empty and ready.
type Cache[V int32 | int64] struct {
	mu sync.RWMutex
	m  map[Key]V
}

// Get returns the integer of k, if cached.
func (c *Cache[V]) Get(k Key) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

// Add caches committed integers.
func (c *Cache[V]) Add(names map[Key]V) {
	if len(names) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[Key]V, len(names))
	}
	for k, v := range names {
		c.m[k] = v
	}
}
