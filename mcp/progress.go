package mcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// progressReporter turns a waiting call's states into
// notifications/progress. Progress is the seconds waited so far and total
// the most the call will wait, so it always increases, as the spec wants,
// heartbeats included.
type progressReporter struct {
	ctx     context.Context
	session *mcp.ServerSession
	token   any
	start   time.Time
	total   float64
	last    float64
	onError func(error)
}

// newProgressReporter returns nil when the client sent no progress token.
func newProgressReporter(ctx context.Context, req *mcp.CallToolRequest, wait time.Duration, onError func(error)) *progressReporter {
	token := req.Params.GetProgressToken()
	if token == nil || req.Session == nil {
		return nil
	}
	return &progressReporter{ctx: ctx, session: req.Session, token: token, start: time.Now(), total: wait.Seconds(), last: -1, onError: onError}
}

func (p *progressReporter) report(ir *imagesv1alpha1.ImageRequest, heartbeat bool) {
	if p == nil {
		return
	}
	progress := time.Since(p.start).Seconds()
	if progress <= p.last {
		progress = p.last + 0.001
	}
	p.last = progress
	msg := describeState(ir)
	if heartbeat {
		msg = "still waiting: " + msg
	}
	err := p.session.NotifyProgress(p.ctx, &mcp.ProgressNotificationParams{
		ProgressToken: p.token,
		Progress:      progress,
		Total:         max(p.total, progress),
		Message:       msg,
	})
	if err != nil && p.onError != nil {
		p.onError(err)
	}
}

// describeState is one line about where a request is.
func describeState(ir *imagesv1alpha1.ImageRequest) string {
	st := ir.Status
	phase := st.Phase
	if phase == "" {
		phase = imagesv1alpha1.PhasePending
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ImageRequest %s/%s is %s", ir.Namespace, ir.Name, phase)
	if st.Attempts > 0 {
		fmt.Fprintf(&b, " (attempt %d)", st.Attempts)
	}
	switch {
	case phase == imagesv1alpha1.PhaseSucceeded:
		fmt.Fprintf(&b, ": %d image(s) ready", len(st.Images))
	case st.Reason != "" && st.Reason != imagesv1alpha1.ReasonAccepted:
		fmt.Fprintf(&b, ": %s", st.Reason)
		if st.Message != "" {
			fmt.Fprintf(&b, ": %s", st.Message)
		}
	case phase == imagesv1alpha1.PhasePending && st.Attempts == 0:
		b.WriteString(": waiting for the controller")
	case phase == imagesv1alpha1.PhaseRunning:
		b.WriteString(": the upstream is painting")
	}
	return b.String()
}
