package localenv

import (
	"bufio"
	"net"
	"testing"
)

// TestTCPProxyCutAndRestore: while cut, connections are refused and open
// ones are closed; restored, the same address forwards again.
func TestTCPProxyCutAndRestore(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				_, _ = c.Write([]byte(line))
			}()
		}
	}()
	p, err := StartTCPProxy(echo.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	roundTrip := func() error {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write([]byte("ping\n")); err != nil {
			return err
		}
		_, err = bufio.NewReader(c).ReadString('\n')
		return err
	}
	if err := roundTrip(); err != nil {
		t.Fatalf("before the cut: %v", err)
	}
	open, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	p.Cut()
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Fatal("a connection was accepted during the cut")
	}
	if _, err := bufio.NewReader(open).ReadString('\n'); err == nil {
		t.Fatal("a connection opened before the cut stayed open")
	}
	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(); err != nil {
		t.Fatalf("after restore: %v", err)
	}
}
