package imagerequests

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

func ir(name, rv string, phase imagesv1alpha1.Phase) *imagesv1alpha1.ImageRequest {
	return &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: rv, UID: types.UID(name)},
		Status:     imagesv1alpha1.ImageRequestStatus{Phase: phase},
	}
}

func TestHubFansOutByKeyLatestWins(t *testing.T) {
	h := newHub()
	var changed []types.NamespacedName
	h.onStatusChange = func(k types.NamespacedName) { changed = append(changed, k) }
	a1, stopA1 := h.wait(types.NamespacedName{Namespace: "ns", Name: "a"})
	a2, stopA2 := h.wait(types.NamespacedName{Namespace: "ns", Name: "a"})
	b, stopB := h.wait(types.NamespacedName{Namespace: "ns", Name: "b"})
	if h.count() != 3 {
		t.Fatalf("count = %d", h.count())
	}
	handler := h.handler()
	handler.OnAdd(ir("a", "1", ""), false)
	handler.OnUpdate(ir("a", "1", ""), ir("a", "2", imagesv1alpha1.PhaseRunning))
	handler.OnUpdate(ir("a", "2", imagesv1alpha1.PhaseRunning), ir("a", "3", imagesv1alpha1.PhaseRunning)) // metadata only
	for _, w := range []*waiter{a1, a2} {
		select {
		case ev := <-w.ch:
			if ev.obj.ResourceVersion != "3" {
				t.Errorf("a waiter got version %s, want the latest, 3", ev.obj.ResourceVersion)
			}
		default:
			t.Error("a waiter got nothing")
		}
	}
	select {
	case ev := <-b.ch:
		t.Errorf("b got an event of %s", ev.obj.Name)
	default:
	}
	if len(changed) != 1 {
		t.Errorf("status changes announced: %v, want 1", changed)
	}
	handler.OnDelete(toolscache.DeletedFinalStateUnknown{Obj: ir("b", "9", "")})
	if ev := <-b.ch; !ev.deleted {
		t.Error("delete not delivered")
	}
	stopA1()
	stopA1() // idempotent
	stopA2()
	stopB()
	if h.count() != 0 || len(h.waiters) != 0 {
		t.Errorf("waiters left: %d", h.count())
	}
}

func TestNewer(t *testing.T) {
	if !newer(ir("a", "10", ""), ir("a", "9", "")) || newer(ir("a", "9", ""), ir("a", "10", "")) || newer(ir("a", "5", ""), ir("a", "5", "")) {
		t.Error("numeric resource versions")
	}
	if !newer(ir("a", "1", ""), nil) || newer(nil, ir("a", "1", "")) {
		t.Error("nil")
	}
}
