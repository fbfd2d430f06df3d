package localenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SeaweedFSVersion is the SeaweedFS module version hack/setup-seaweedfs.sh
// builds `weed` from.
const SeaweedFSVersion = "v0.0.0-20261109003541-7506e5f91cd6"

// ErrNoWeed says SeaweedFS's weed binary has not been built.
var ErrNoWeed = errors.New("SeaweedFS's weed binary not found: run `make setup-seaweedfs` (or `make test`, which runs it)")

// WeedBinary is the path of SeaweedFS's weed binary: $SEAWEEDFS_BIN, else
// bin/seaweedfs/<version>/weed under the repository. It fails with ErrNoWeed
// when the file is not there.
func WeedBinary() (string, error) {
	bin := os.Getenv("SEAWEEDFS_BIN")
	if bin == "" {
		bin = filepath.Join(RepoRoot(), "bin", "seaweedfs", SeaweedFSVersion, "weed")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%w (looked for %s)", ErrNoWeed, bin)
	}
	return bin, nil
}

// S3 server timings: how long a start may take on a slow hour of a 2-core
// machine, and how long a stop waits for weed to exit on SIGTERM before it
// kills it (weed runs shutdown hooks first and can take its time).
const (
	s3StartTimeout = 2 * time.Minute
	s3StopGrace    = 3 * time.Second
)

// S3Server is a real S3 endpoint on loopback: SeaweedFS's `weed server -s3`
// (master, volume server, filer and S3 gateway in one process) with one
// identity, so every request must carry a valid SigV4 signature, and one
// bucket. Stop, Kill and Start take it away and bring it back on the same
// ports and data, for tests of a store outage.
type S3Server struct {
	// Endpoint is the S3 base URL, http://127.0.0.1:<port>.
	Endpoint string
	// Region is the region clients sign for (SeaweedFS accepts any).
	Region string
	// AccessKey and SecretKey are the only identity the server accepts.
	AccessKey string
	SecretKey string
	// Bucket exists once Start returned.
	Bucket string
	// Dir holds the server's data, identities file and log (weed.log);
	// Close removes it.
	Dir string

	bin   string
	ports s3Ports

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *os.File
}

// s3Ports are the server's TCP ports, HTTP and gRPC, all on 127.0.0.1.
type s3Ports struct {
	master, masterGRPC, volume, volumeGRPC, filer, filerGRPC, s3, s3GRPC int
}

// StartS3 starts an S3 server for a test, with a bucket, and stops it and
// removes its data when the test ends. It fails the test when weed is missing
// (run `make setup-seaweedfs`) or does not come up.
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	s, err := StartS3Server()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// StartS3Server starts an S3 server with a bucket in a new temporary
// directory, for callers without a testing.TB; Close stops it and removes
// the directory.
func StartS3Server() (*S3Server, error) {
	bin, err := WeedBinary()
	if err != nil {
		return nil, err
	}
	ports, err := freeS3Ports()
	if err != nil {
		return nil, err
	}
	// A short path: weed's Unix sockets live in it, and their paths are capped
	// near 108 bytes.
	dir, err := os.MkdirTemp("", "imagegen-s3-")
	if err != nil {
		return nil, fmt.Errorf("creating the S3 server's directory: %w", err)
	}
	s := &S3Server{
		Endpoint:  "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.s3)),
		Region:    "us-east-1",
		AccessKey: "imagegen-" + randomHex(8),
		SecretKey: randomHex(20),
		Bucket:    "imagegen-test",
		Dir:       dir,
		bin:       bin,
		ports:     ports,
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("creating the S3 server's data directory: %w", err)
	}
	if err := s.writeIdentities(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := s.Start(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// BucketURL is the bucket in gocloud.dev/blob/s3blob's URL form. The URL
// carries no credentials: give s3blob the server's keys through the standard
// AWS environment (see Env), or open the bucket from Client with
// s3blob.OpenBucket.
func (s *S3Server) BucketURL() string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("region", s.Region)
	q.Set("use_path_style", "true")
	// Checksums only where an operation requires them, as for any
	// S3-compatible server that is not AWS.
	q.Set("request_checksum_calculation", "when_required")
	q.Set("response_checksum_validation", "when_required")
	return "s3://" + s.Bucket + "?" + q.Encode()
}

// Env is the standard AWS environment that makes the SDK's default
// credential chain (which gocloud.dev's s3blob URL opener uses) sign with
// this server's identity, as "KEY=value" pairs for a child process's
// environment or t.Setenv.
func (s *S3Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + s.Region,
		// Keep a developer's ~/.aws out of the tests.
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// Client is an AWS SDK S3 client for the server, signing with its identity.
func (s *S3Server) Client() *s3.Client {
	return s.ClientWithKeys(s.AccessKey, s.SecretKey)
}

// ClientWithKeys is an S3 client for the server signing with other keys,
// for tests of refused credentials.
func (s *S3Server) ClientWithKeys(accessKey, secretKey string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       s.Region,
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey, Source: "localenv"}, nil
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		// A test that stops the server wants the error, not retries.
		RetryMaxAttempts: 1,
	})
}

// Start starts the server on its ports and data directory and waits until
// the S3 endpoint answers signed requests and takes writes. StartS3 already
// called it; call it again after Stop or Kill to bring S3 back with its
// objects.
func (s *S3Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("the S3 server is already running")
	}
	logFile, err := os.OpenFile(filepath.Join(s.Dir, "weed.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the S3 server's log: %w", err)
	}
	cmd := exec.Command(s.bin, s.args()...) //nolint:gosec // the binary is ours, the arguments are built here
	cmd.Dir = s.Dir                         // weed reads security.toml and friends from its working directory
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so a Ctrl-C in the terminal reaches the test,
	// which then stops weed, instead of both at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done, s.log = cmd, done, logFile

	if err := s.waitReady(done); err != nil {
		s.stopLocked(0)
		return fmt.Errorf("%w\n--- %s (last lines) ---\n%s", err, logFile.Name(), tail(logFile.Name(), 40))
	}
	return nil
}

// args is weed's command line: everything on 127.0.0.1 and the ports picked
// for this server, nothing else listening, no telemetry.
func (s *S3Server) args() []string {
	p := s.ports
	return []string{
		"-logdir=" + s.Dir,
		"server",
		"-ip=127.0.0.1",
		"-ip.bind=127.0.0.1",
		"-dir=" + filepath.Join(s.Dir, "data"),
		"-master.port=" + strconv.Itoa(p.master),
		"-master.port.grpc=" + strconv.Itoa(p.masterGRPC),
		"-master.telemetry=false",
		// One master: no peer to wait for, so elect at once on a restart
		// instead of after the default 10s.
		"-master.electionTimeout=1s",
		"-master.volumeSizeLimitMB=256",
		"-volume.port=" + strconv.Itoa(p.volume),
		"-volume.port.grpc=" + strconv.Itoa(p.volumeGRPC),
		"-volume.max=16",
		"-volume.preStopSeconds=0",
		"-filer.port=" + strconv.Itoa(p.filer),
		"-filer.port.grpc=" + strconv.Itoa(p.filerGRPC),
		"-filer.localSocket=" + filepath.Join(s.Dir, "filer.sock"),
		"-s3",
		"-s3.port=" + strconv.Itoa(p.s3),
		"-s3.port.grpc=" + strconv.Itoa(p.s3GRPC),
		"-s3.port.iceberg=0",
		"-s3.port.lance=0",
		"-s3.localSocket=" + filepath.Join(s.Dir, "s3.sock"),
		"-s3.config=" + filepath.Join(s.Dir, "identities.json"),
		"-s3.iam=false",
	}
}

// waitReady polls until the bucket exists (created on the first start) and
// a signed write and delete succeed: the gateway is up, the filer behind it
// is, and the master hands out writable volumes.
func (s *S3Server) waitReady(exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), s3StartTimeout)
	defer cancel()
	c := s.Client()
	var last error
	for {
		select {
		case <-exited:
			return fmt.Errorf("the S3 server exited while starting (last check: %v)", last)
		case <-ctx.Done():
			return fmt.Errorf("the S3 server at %s was not ready within %s: %v", s.Endpoint, s3StartTimeout, last)
		case <-time.After(200 * time.Millisecond):
		}
		if last = s.probe(ctx, c); last == nil {
			return nil
		}
	}
}

func (s *S3Server) probe(ctx context.Context, c *s3.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	bucket := aws.String(s.Bucket)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket}); err != nil {
		if _, cerr := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); cerr != nil {
			return fmt.Errorf("bucket %s: %w; creating it: %w", s.Bucket, err, cerr)
		}
	}
	// The write that proves the server takes objects goes to a bucket of
	// its own: in the tests' bucket a probe object could still be listed
	// after its delete (a retried probe, the filer's listing catching up)
	// and show up in a test that lists what a request left behind.
	probe := aws.String(s3ProbeBucket)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: probe}); err != nil {
		if _, cerr := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: probe}); cerr != nil {
			return fmt.Errorf("bucket %s: %w; creating it: %w", s3ProbeBucket, err, cerr)
		}
	}
	key := aws.String("ready")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: probe, Key: key, Body: bytes.NewReader([]byte("ok"))}); err != nil {
		return err
	}
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: probe, Key: key})
	return err
}

// s3ProbeBucket holds the readiness probe's object, away from the tests'.
const s3ProbeBucket = "localenv-probe"

// Stop stops the server as an operator would: SIGTERM, then SIGKILL if it
// is still running after a short grace. Its data stays for Start.
func (s *S3Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(s3StopGrace)
}

// Kill stops the server at once with SIGKILL, as a crash would. Its data
// stays for Start.
func (s *S3Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(0)
}

func (s *S3Server) stopLocked(grace time.Duration) {
	if s.cmd == nil {
		return
	}
	if grace > 0 {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(grace):
		}
	}
	// The whole group: weed starts no children today, but never leave one.
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	_ = s.log.Close()
	s.cmd, s.done, s.log = nil, nil, nil
	// weed puts its gRPC sockets in /tmp, named by port; a killed weed leaves
	// them behind.
	p := s.ports
	for name, port := range map[string]int{"master": p.masterGRPC, "volume": p.volumeGRPC, "filer": p.filerGRPC, "s3": p.s3GRPC} {
		_ = os.Remove(fmt.Sprintf("/tmp/seaweedfs-%s-grpc-%d.sock", name, port))
	}
}

// Close stops the server and removes its data directory.
func (s *S3Server) Close() error {
	s.Kill()
	if err := os.RemoveAll(s.Dir); err != nil {
		return fmt.Errorf("removing the S3 server's directory: %w", err)
	}
	return nil
}

// writeIdentities writes the server's only identity, with every action on
// every bucket.
func (s *S3Server) writeIdentities() error {
	type credential struct {
		AccessKey string `json:"accessKey"`
		SecretKey string `json:"secretKey"`
	}
	type identity struct {
		Name        string       `json:"name"`
		Credentials []credential `json:"credentials"`
		Actions     []string     `json:"actions"`
	}
	cfg := struct {
		Identities []identity `json:"identities"`
	}{Identities: []identity{{
		Name:        "imagegen",
		Credentials: []credential{{AccessKey: s.AccessKey, SecretKey: s.SecretKey}},
		Actions:     []string{"Admin", "Read", "List", "Tagging", "Write"},
	}}}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the S3 identities: %w", err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "identities.json"), data, 0o600); err != nil {
		return fmt.Errorf("writing the S3 identities: %w", err)
	}
	return nil
}

// freeS3Ports picks eight distinct free loopback ports, holding them all
// open until every one is chosen so none is picked twice.
func freeS3Ports() (s3Ports, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 8)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return s3Ports{}, fmt.Errorf("finding a free port for the S3 server: %w", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return s3Ports{
		master: ports[0], masterGRPC: ports[1],
		volume: ports[2], volumeGRPC: ports[3],
		filer: ports[4], filerGRPC: ports[5],
		s3: ports[6], s3GRPC: ports[7],
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// tail is the last n lines of a file, for an error message.
func tail(path string, n int) string {
	data, err := os.ReadFile(path) //nolint:gosec // our own log file
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
