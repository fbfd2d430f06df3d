package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// waitingTools wait for their ImageRequest: a result that is not
// Succeeded means the work goes on, and the call counts as pending.
var waitingTools = map[string]bool{ToolGenerateImage: true, ToolEditImage: true}

// pendingError is a waiting tool's error after its ImageRequest was
// created: the caller went away or the server is stopping, and the work
// goes on. It counts as pending, not as a failure of the call.
type pendingError struct{ err error }

func (e *pendingError) Error() string { return e.err.Error() }
func (e *pendingError) Unwrap() error { return e.err }

// callsMiddleware counts every tool call in imagegen_mcp_calls_total and
// logs how it ended. The handlers only return results and errors; the
// outcome is read from them (see outcomeOf).
func (s *server) callsMiddleware(next sdkmcp.MethodHandler) sdkmcp.MethodHandler {
	return func(ctx context.Context, method string, req sdkmcp.Request) (sdkmcp.Result, error) {
		if method != "tools/call" {
			return next(ctx, method, req)
		}
		start := time.Now()
		res, err := next(ctx, method, req)
		tool := toolName(req)
		if !slices.Contains(toolNames, tool) {
			return res, err // no label per name a client makes up
		}
		outcome, cause := outcomeOf(tool, res, err)
		imagerequests.RecordCall("mcp", tool, outcome)
		log := s.log.WithValues("tool", tool, "user", imagerequests.CallerFrom(ctx).Name(), "outcome", outcome,
			"took", time.Since(start).Round(time.Millisecond))
		switch outcome {
		case imagerequests.OutcomeInvalid, imagerequests.OutcomeForbidden:
			log.V(1).Info("call refused", "reason", cause.Error())
		case imagerequests.OutcomeError:
			log.Error(cause, "call failed")
		default:
			// The creating tools' answers are the operator's record of paid
			// work: logged at Info. Reads are verbose.
			st := stateOf(res)
			l := log.V(1)
			if waitingTools[tool] {
				l = log
			}
			l.Info("answered", "phase", st.Phase, "reason", st.Reason, "attempts", st.Attempts)
		}
		return res, err
	}
}

// outcomeOf classifies a tool call by what its handler returned, and
// returns the error behind it, if any. The SDK turns a handler's error
// into a result with IsError, keeping the error for GetError.
func outcomeOf(tool string, res sdkmcp.Result, err error) (string, error) {
	if err != nil {
		return imagerequests.OutcomeOf(err), err
	}
	ctr, ok := res.(*sdkmcp.CallToolResult)
	if !ok || ctr == nil {
		return imagerequests.OutcomeError, errors.New("no tool result")
	}
	if cause := ctr.GetError(); cause != nil {
		var pending *pendingError
		switch {
		case errors.As(cause, &pending):
			return imagerequests.OutcomePending, cause
		case strings.HasPrefix(cause.Error(), schemaErrorPrefix):
			return imagerequests.OutcomeInvalid, cause
		}
		return imagerequests.OutcomeOf(cause), cause
	}
	if ctr.IsError {
		return imagerequests.OutcomeFailed, nil // the request Failed
	}
	if waitingTools[tool] && stateOf(ctr).Phase != string(imagesv1alpha1.PhaseSucceeded) {
		return imagerequests.OutcomePending, nil
	}
	return imagerequests.OutcomeOK, nil
}

// resultState is what a tool result says of its ImageRequest.
type resultState struct {
	Phase    string `json:"phase"`
	Reason   string `json:"reason"`
	Attempts int    `json:"attempts"`
}

// stateOf reads the state from a tool result's structured content (the
// SDK has marshalled the handler's output into it); empty if none.
func stateOf(res sdkmcp.Result) resultState {
	var st resultState
	ctr, ok := res.(*sdkmcp.CallToolResult)
	if !ok || ctr == nil {
		return st
	}
	switch sc := ctr.StructuredContent.(type) {
	case json.RawMessage:
		_ = json.Unmarshal(sc, &st)
	case *ImageRequestOutput:
		st = resultState{Phase: sc.Phase, Reason: sc.Reason, Attempts: sc.Attempts}
	}
	return st
}

func toolName(req sdkmcp.Request) string {
	if p, ok := req.GetParams().(*sdkmcp.CallToolParamsRaw); ok && p != nil {
		return p.Name
	}
	return "unknown"
}
