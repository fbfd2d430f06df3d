package imagerequests

import (
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// hub fans the manager's one ImageRequest informer out to everyone waiting
// on a particular request: tool calls, REST calls and resource
// subscriptions. Nobody opens a watch or polls per call.
type hub struct {
	mu      sync.Mutex
	waiters map[types.NamespacedName]map[*waiter]struct{}
	// onStatusChange, if set, is told about every status change; it must
	// not block.
	onStatusChange func(key types.NamespacedName)
}

// event is what a waiter is told: the latest object, or that it is gone.
type event struct {
	obj     *imagesv1alpha1.ImageRequest
	deleted bool
}

// waiter receives the latest event for one key. Its channel holds one
// event: a newer one replaces an unread older one, so a slow reader never
// blocks the informer and always sees the newest state.
type waiter struct {
	ch chan event
}

func newHub() *hub {
	return &hub{waiters: map[types.NamespacedName]map[*waiter]struct{}{}}
}

// wait registers a waiter for key; stop unregisters it.
func (h *hub) wait(key types.NamespacedName) (w *waiter, stop func()) {
	w = &waiter{ch: make(chan event, 1)}
	h.mu.Lock()
	if h.waiters[key] == nil {
		h.waiters[key] = map[*waiter]struct{}{}
	}
	h.waiters[key][w] = struct{}{}
	h.mu.Unlock()
	activeWaiters.Inc()
	return w, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if ws, ok := h.waiters[key]; ok {
			if _, ok := ws[w]; ok {
				delete(ws, w)
				activeWaiters.Dec()
			}
			if len(ws) == 0 {
				delete(h.waiters, key)
			}
		}
	}
}

// count is the number of registered waiters, for tests and metrics.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ws := range h.waiters {
		n += len(ws)
	}
	return n
}

func (h *hub) publish(ev event) {
	key := types.NamespacedName{Namespace: ev.obj.Namespace, Name: ev.obj.Name}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.waiters[key] {
		select {
		case w.ch <- ev:
		default:
			select { // drop the unread older event
			case <-w.ch:
			default:
			}
			w.ch <- ev
		}
	}
}

// handler is the informer event handler feeding the hub.
func (h *hub) handler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ir, ok := obj.(*imagesv1alpha1.ImageRequest); ok {
				h.publish(event{obj: ir})
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			ir, ok := newObj.(*imagesv1alpha1.ImageRequest)
			if !ok {
				return
			}
			h.publish(event{obj: ir})
			if old, ok := oldObj.(*imagesv1alpha1.ImageRequest); ok && h.onStatusChange != nil &&
				!equality.Semantic.DeepEqual(old.Status, ir.Status) {
				h.onStatusChange(types.NamespacedName{Namespace: ir.Namespace, Name: ir.Name})
			}
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if ir, ok := obj.(*imagesv1alpha1.ImageRequest); ok {
				h.publish(event{obj: ir, deleted: true})
			}
		},
	}
}

// newer reports whether a is a later version of the object than b. Both
// come from one informer or from writes to one API server, whose resource
// versions are etcd revisions; anything unparsable counts as newer.
func newer(a, b *imagesv1alpha1.ImageRequest) bool {
	if b == nil {
		return true
	}
	if a == nil {
		return false
	}
	av, errA := strconv.ParseUint(a.ResourceVersion, 10, 64)
	bv, errB := strconv.ParseUint(b.ResourceVersion, 10, 64)
	if errA != nil || errB != nil {
		return a.ResourceVersion != b.ResourceVersion
	}
	return av > bv
}
