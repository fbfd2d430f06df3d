package imagerequests

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// subscriptions counts the live resource subscriptions per ImageRequest,
// so that only status changes somebody follows are announced.
type subscriptions struct {
	mu    sync.Mutex
	count map[types.NamespacedName]int
	// notify is told about a status change of a subscribed request; it
	// must not block.
	notify func(namespace, name string)
}

func newSubscriptions() *subscriptions {
	return &subscriptions{count: map[types.NamespacedName]int{}}
}

// Subscribe counts a subscription to the request namespace/name; the
// caller was authorised for it.
func (s *Service) Subscribe(namespace, name string) {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	s.subs.count[types.NamespacedName{Namespace: namespace, Name: name}]++
	activeWaiters.Inc()
}

// Unsubscribe ends one subscription to namespace/name, if there is one.
func (s *Service) Unsubscribe(namespace, name string) {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	key := types.NamespacedName{Namespace: namespace, Name: name}
	if s.subs.count[key] == 0 {
		return
	}
	activeWaiters.Dec()
	if s.subs.count[key]--; s.subs.count[key] == 0 {
		delete(s.subs.count, key)
	}
}

// OnSubscribedChange sets what is told about every status change of a
// subscribed request (the MCP adapter's resources/updated notification).
// Call it before Watch; notify must not block.
func (s *Service) OnSubscribedChange(notify func(namespace, name string)) {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	s.subs.notify = notify
}

// statusChanged is the hub's hook.
func (s *subscriptions) statusChanged(key types.NamespacedName) {
	s.mu.Lock()
	subscribed, notify := s.count[key] > 0, s.notify
	s.mu.Unlock()
	if subscribed && notify != nil {
		notify(key.Namespace, key.Name)
	}
}
