package rest

import "testing"

// TestFieldNames: the tools' input names become the REST endpoints', an
// indexed one keeping its index, and names neither renames pass unchanged.
func TestFieldNames(t *testing.T) {
	for _, tc := range []struct {
		names    fieldNames
		in, want string
	}{
		{generateFields, "output_format", "params.output_format"},
		{generateFields, "output_compression", "params.output_compression"},
		{generateFields, "prompt", "prompt"},
		{editFields, "image", "image_file"},
		{editFields, "additional_images", "additional_image_file"},
		{editFields, "additional_images[3]", "additional_image_file[3]"},
		{editFields, "mask", "mask_file"},
		{editFields, "output_format", "output_format"},
	} {
		if got := tc.names.of(tc.in); got != tc.want {
			t.Errorf("of(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
