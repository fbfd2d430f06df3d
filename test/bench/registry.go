package main

import (
	"context"
	"fmt"
)

// allPaths are the paths in the order the table shows them. The MCP and
// REST paths join when the MCP server lands.
var allPaths = []string{pathDirect, pathCR}

// managerArgsForPaths gives the manager what the measured paths need.
func managerArgsForPaths(e *env) ([]string, error) { return nil, nil }

func buildPaths(ctx context.Context, e *env, names []string) ([]path, error) {
	var out []path
	for _, n := range names {
		switch n {
		case pathDirect:
			out = append(out, newDirectPath(e))
		case pathCR:
			p, err := newCRPath(ctx, e)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		default:
			return nil, fmt.Errorf("unknown path %q (known: %v)", n, allPaths)
		}
	}
	return out, nil
}
