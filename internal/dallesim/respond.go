package dallesim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// respondImages bills the call and answers 200 with
// {"created": ..., "data": [item 0, ..., item n-1]}. Items are written one
// at a time straight to the connection, so a b64_json response never holds
// more than one encoded image in memory.
func (s *Server) respondImages(w http.ResponseWriter, call *Call, req imageRequest, item func(i int, out io.Writer) error) {
	call.Status = http.StatusOK
	call.Billable = true
	call.Images = req.N
	s.stats.bill(req.Model, req.N, nil)

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	err := writeImagesBody(w, s.now().Unix(), req.N, item, "")
	if err != nil {
		// The client went away mid-response; the images were still produced and billed.
		s.log.Debug("writing images response", slog.String("request_id", call.RequestID), slog.Any("error", err))
	}
}

// writeImagesBody writes the indented JSON body OpenAI sends; tail holds
// further top-level fields (",\n  \"field\": ..."), written after data.
func writeImagesBody(w io.Writer, created int64, n int, item func(i int, out io.Writer) error, tail string) error {
	if _, err := fmt.Fprintf(w, "{\n  \"created\": %d,\n  \"data\": [\n", created); err != nil {
		return fmt.Errorf("writing response head: %w", err)
	}
	for i := range n {
		sep := "    {\n      "
		if i > 0 {
			sep = ",\n" + sep
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return fmt.Errorf("writing item %d: %w", i, err)
		}
		if err := item(i, w); err != nil {
			return fmt.Errorf("writing item %d: %w", i, err)
		}
		if _, err := io.WriteString(w, "\n    }"); err != nil {
			return fmt.Errorf("writing item %d: %w", i, err)
		}
	}
	if _, err := io.WriteString(w, "\n  ]"+tail+"\n}\n"); err != nil {
		return fmt.Errorf("writing response tail: %w", err)
	}
	return nil
}

// writeURLItem writes `"url": "<url>"`.
func writeURLItem(w io.Writer, url string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "&" literal, as OpenAI does
	if err := enc.Encode(url); err != nil {
		return fmt.Errorf("encoding url: %w", err)
	}
	_, err := fmt.Fprintf(w, `"url": %s`, bytes.TrimSpace(b.Bytes()))
	return err
}

// writeB64Item writes `"b64_json": "<base64 of the PNG that encode writes>"`,
// base64-encoding on the fly.
func writeB64Item(w io.Writer, encode func(dst io.Writer) error) error {
	if _, err := io.WriteString(w, `"b64_json": "`); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if err := encode(enc); err != nil {
		return fmt.Errorf("encoding png: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("flushing base64: %w", err)
	}
	_, err := io.WriteString(w, `"`)
	return err
}
