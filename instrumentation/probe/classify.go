package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// Error types reported in Result.ErrorType and as the error.type attribute
// of nexusmon.probe.errors.
const (
	ErrorTimeout = "timeout" // the probe did not finish within Options.Timeout
	ErrorDNS     = "dns"     // the host name did not resolve
	ErrorConnect = "connect" // the TCP connection was refused or unreachable
	ErrorTLS     = "tls"     // the TLS handshake or certificate check failed
	ErrorStatus  = "status"  // an HTTP response arrived with an unwanted status
	ErrorReset   = "reset"   // the peer closed or reset the connection mid-exchange
	ErrorOther   = "other"   // anything else
)

// phases records which phases a probe reached; classify uses it to tell a
// TLS failure from a connect failure when the error itself is ambiguous.
type phases struct {
	tlsStarted bool
	tlsDone    bool
}

// classify maps a transport error to one of the Error* types. deadline
// reports whether the probe's own deadline expired, which wins over
// whatever the error chain says: a DNS lookup cut short by the deadline is
// a timeout, not a DNS failure.
func classify(err error, deadline bool, ph phases) string {
	if err == nil {
		return ""
	}
	if deadline || errors.Is(err, context.DeadlineExceeded) {
		return ErrorTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ErrorDNS
	}
	if isTLSError(err) || (ph.tlsStarted && !ph.tlsDone) {
		return ErrorTLS
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrorReset
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return ErrorConnect
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) {
		return ErrorConnect
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ErrorTimeout
	}
	return ErrorOther
}

func isTLSError(err error) bool {
	var (
		recErr    tls.RecordHeaderError
		alertErr  tls.AlertError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.As(err, &recErr) || errors.As(err, &alertErr) || errors.As(err, &verifyErr) ||
		errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid)
}

// sanitizeURL returns u without user information, query and fragment: the
// form used in metrics, results and error texts.
func sanitizeURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}

// errorText builds Result.Error: the operation on the sanitised target and
// the innermost useful cause, with anything of the raw URL that could carry
// a secret (user information, query) removed.
func errorText(err error, raw *url.URL, target string) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	msg := fmt.Sprintf("get %s: %v", target, inner)
	for _, secret := range secretsOf(raw) {
		msg = strings.ReplaceAll(msg, secret, "[redacted]")
	}
	return msg
}

// secretsOf lists the substrings of u that must never appear in a message.
// Very short values are skipped: replacing every "a" in a message would
// destroy it, and the inner errors of net/http never quote the query or
// the user information anyway; this is a second line of defence.
func secretsOf(u *url.URL) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 {
			out = append(out, s)
		}
	}
	if u.User != nil {
		add(u.User.String())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	add(u.RawQuery)
	return out
}
