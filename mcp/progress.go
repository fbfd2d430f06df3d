package mcp

import (
	"context"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// progressReporter turns a waiting call's states into
// notifications/progress. Progress is the seconds waited so far and total
// the most the call will wait, so it always increases, as the spec wants,
// heartbeats included.
type progressReporter struct {
	ctx     context.Context
	session *sdkmcp.ServerSession
	token   any
	start   time.Time
	total   float64
	last    float64
	onError func(error)
}

// newProgressReporter returns nil when the client sent no progress token.
func newProgressReporter(ctx context.Context, req *sdkmcp.CallToolRequest, wait time.Duration, onError func(error)) *progressReporter {
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
	msg := imagerequests.Describe(ir)
	if heartbeat {
		msg = "still waiting: " + msg
	}
	err := p.session.NotifyProgress(p.ctx, &sdkmcp.ProgressNotificationParams{
		ProgressToken: p.token,
		Progress:      progress,
		Total:         max(p.total, progress),
		Message:       msg,
	})
	if err != nil && p.onError != nil {
		p.onError(err)
	}
}
