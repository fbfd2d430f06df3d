package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
)

// Defaults of the orphan sweep.
const (
	DefaultSweepInterval = time.Hour
	// DefaultSweepMinAge is the grace before an object without a request
	// counts as an orphan: edit inputs are uploaded before their request
	// is created, and results are stored before the status that names
	// them is written.
	DefaultSweepMinAge = time.Hour
	// DefaultSweepMaxObjects bounds the objects one sweep lists (and so
	// may delete); the next sweep resumes where it stopped.
	DefaultSweepMaxObjects = 10000
	sweepPageSize          = 1000
	// modTimePrecision is added to the grace: S3's Last-Modified has
	// second precision (truncated), so an object may look up to a second
	// older than it is.
	modTimePrecision = time.Second
)

// sweepKinds are the prefixes a sweep pass walks, in order.
var sweepKinds = []string{artifacts.ResultsPrefix, artifacts.InputsPrefix}

// Sweeper deletes orphaned objects from the artifact store: objects older
// than MinAge that no ImageRequest owns and no keep marker protects. A
// result is owned by the ImageRequest with its namespace, name and UID; an
// input by the ImageRequest with its namespace and name whose UID is the
// key's ID segment, or by any request whose spec references it. Objects
// the sweep cannot parse are not the operator's and are left alone, as are
// the keep markers themselves.
//
// It runs on the leader only, every Interval, and each run lists at most
// MaxObjects objects, resuming the next run from where the last stopped,
// so a large bucket costs bounded work per run and is still covered.
type Sweeper struct {
	// Reader lists ImageRequests: the manager's cache (it already holds
	// them all).
	Reader   client.Reader
	Store    *artifacts.Store
	Interval time.Duration
	MinAge   time.Duration
	// MaxObjects bounds the objects listed per run; 0 is DefaultSweepMaxObjects.
	MaxObjects int
	Clock      clock.PassiveClock
	Log        logr.Logger

	// The position of the pass in progress: the kind being listed and the
	// next page's token; tally counts what the pass has seen so far.
	kind  int
	token []byte
	tally map[string]*storedTally
}

type storedTally struct {
	objects int
	bytes   int64
}

// SweepStats is what one run did.
type SweepStats struct {
	Listed, Deleted, Kept, Errors int
	// PassComplete is set when the run reached the end of the bucket (the
	// next run starts from the beginning).
	PassComplete bool
}

// NeedLeaderElection keeps the sweep to one replica.
func (s *Sweeper) NeedLeaderElection() bool { return true }

// Start sweeps every Interval until ctx ends; the first sweep comes one
// Interval after start, when the cache is warm and a rollout has settled.
func (s *Sweeper) Start(ctx context.Context) error {
	if s.Interval <= 0 {
		return nil
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			// Errors are logged and counted inside; the next tick retries.
			_, _ = s.Sweep(ctx)
		}
	}
}

func (s *Sweeper) clock() clock.PassiveClock {
	if s.Clock == nil {
		return clock.RealClock{}
	}
	return s.Clock
}

// Sweep runs one bounded sweep. It lists the objects first and the
// requests after: an object listed whose request is not there afterwards
// either never had one within MinAge or lost it, and a deleted request's
// keep marker is written before its finalizer is removed, so it is there
// to be found.
func (s *Sweeper) Sweep(ctx context.Context) (SweepStats, error) {
	backend := s.Store.Backend()
	now := s.clock().Now()
	var stats SweepStats
	candidates, err := s.listCandidates(ctx, now, &stats)
	if err == nil {
		err = s.deleteOrphans(ctx, candidates, &stats)
	}
	if err != nil {
		stats.Errors++
	}
	if stats.Errors > 0 {
		sweepErrors.WithLabelValues(backend).Add(float64(stats.Errors))
	}
	if err != nil {
		s.Log.Error(err, "artifact sweep failed; the next one retries", "backend", backend, "listed", stats.Listed, "deleted", stats.Deleted)
		return stats, err
	}
	lastSweep.WithLabelValues(backend).Set(float64(now.Unix()))
	s.Log.Info("artifact sweep done", "backend", backend, "listed", stats.Listed, "deleted", stats.Deleted,
		"kept", stats.Kept, "errors", stats.Errors, "passComplete", stats.PassComplete, "duration", s.clock().Since(now).Round(time.Millisecond))
	return stats, nil
}

// candidate is a listed object old enough to be an orphan.
type candidate struct {
	info artifacts.KeyInfo
	key  string
}

// listCandidates lists up to MaxObjects objects from where the last run
// stopped, tallies them for the stored-objects gauges, and returns those
// older than MinAge that could be orphans.
func (s *Sweeper) listCandidates(ctx context.Context, now time.Time, stats *SweepStats) ([]candidate, error) {
	budget := s.MaxObjects
	if budget <= 0 {
		budget = DefaultSweepMaxObjects
	}
	minAge := s.MinAge
	if minAge <= 0 {
		minAge = DefaultSweepMinAge
	}
	if s.tally == nil {
		s.tally = map[string]*storedTally{}
	}
	var out []candidate
	for budget > 0 {
		kind := sweepKinds[s.kind]
		infos, next, err := s.Store.ListPage(ctx, kind, s.token, min(budget, sweepPageSize))
		if err != nil {
			return out, err
		}
		budget -= len(infos)
		stats.Listed += len(infos)
		t := s.tallyOf(kind)
		for _, obj := range infos {
			t.objects++
			t.bytes += obj.Size
			info, err := artifacts.ParseKey(obj.Key)
			if err != nil {
				s.Log.V(1).Info("leaving an object the operator did not write", "key", obj.Key)
				continue
			}
			if info.Marker || now.Sub(obj.ModTime) < minAge+modTimePrecision {
				continue
			}
			out = append(out, candidate{info: info, key: obj.Key})
		}
		s.token = next
		if next != nil {
			continue
		}
		// The end of this kind: on to the next, or the pass is complete.
		s.kind++
		if s.kind == len(sweepKinds) {
			s.finishPass()
			stats.PassComplete = true
			return out, nil
		}
	}
	return out, nil
}

func (s *Sweeper) tallyOf(kind string) *storedTally {
	t := s.tally[kind]
	if t == nil {
		t = &storedTally{}
		s.tally[kind] = t
	}
	return t
}

// finishPass publishes what the pass found in the bucket and starts over.
func (s *Sweeper) finishPass() {
	backend := s.Store.Backend()
	for _, kind := range sweepKinds {
		t := s.tallyOf(kind)
		label := kindLabel(kind)
		bucketObjects.WithLabelValues(backend, label).Set(float64(t.objects))
		bucketBytes.WithLabelValues(backend, label).Set(float64(t.bytes))
	}
	s.kind, s.token, s.tally = 0, nil, nil
}

// kindLabel is the metrics label of a key kind: "results" or "inputs".
func kindLabel(kind string) string { return kind[:len(kind)-1] }

// liveRequests indexes the ImageRequests that exist now.
type liveRequests struct {
	uids       map[types.NamespacedName]map[string]bool
	referenced map[string]bool
}

func (s *Sweeper) listLive(ctx context.Context) (*liveRequests, error) {
	var list imagesv1alpha1.ImageRequestList
	// Read-only use of the cache's objects: no copy of every request.
	if err := s.Reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing ImageRequests: %w", err)
	}
	live := &liveRequests{uids: map[types.NamespacedName]map[string]bool{}, referenced: map[string]bool{}}
	for i := range list.Items {
		ir := &list.Items[i]
		nn := types.NamespacedName{Namespace: ir.Namespace, Name: ir.Name}
		if live.uids[nn] == nil {
			live.uids[nn] = map[string]bool{}
		}
		live.uids[nn][string(ir.UID)] = true
		for _, key := range referencedKeys(s.Store, ir) {
			live.referenced[key] = true
		}
	}
	return live, nil
}

// owned reports whether a live request owns the object.
func (l *liveRequests) owned(c candidate) bool {
	ref := c.info.Ref
	if l.uids[types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}][ref.UID] {
		return true
	}
	// Any request may reference an input or a result (an edit of an
	// earlier result): neither goes while it does. For inputs this is the
	// upload whose request is the key's name, under an upload ID.
	return l.referenced[c.key]
}

// deleteOrphans deletes the candidates no live request owns and no keep
// marker protects. A failure on one object is counted and the rest go on.
func (s *Sweeper) deleteOrphans(ctx context.Context, candidates []candidate, stats *SweepStats) error {
	if len(candidates) == 0 {
		return nil
	}
	live, err := s.listLive(ctx)
	if err != nil {
		return err
	}
	backend := s.Store.Backend()
	marked := map[string]bool{}
	var errs []error
	for _, c := range candidates {
		if live.owned(c) {
			continue
		}
		prefix := c.info.Prefix()
		keep, seen := marked[prefix]
		if !seen {
			if keep, err = s.Store.HasKeepMarker(ctx, prefix); err != nil {
				// Unsure whether it is kept: leave it for the next run.
				stats.Errors++
				errs = append(errs, err)
				continue
			}
			marked[prefix] = keep
		}
		if keep {
			stats.Kept++
			continue
		}
		if err := s.Store.DeleteObject(ctx, c.key); err != nil {
			stats.Errors++
			errs = append(errs, err)
			continue
		}
		stats.Deleted++
		sweptObjects.WithLabelValues(backend, kindLabel(c.info.Kind)).Inc()
		s.Log.V(1).Info("swept an orphaned object", "key", c.key)
	}
	if len(errs) > 0 {
		// Logged, not returned: the objects that could be handled were.
		s.Log.Error(errors.Join(errs...), "some orphaned objects could not be swept", "backend", backend, "errors", len(errs))
	}
	return nil
}
