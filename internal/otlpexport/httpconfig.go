package otlpexport

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// defaultTimeout bounds one export, retries included, when neither
// otlp.timeout nor OTEL_EXPORTER_OTLP_(SIGNAL_)TIMEOUT sets it.
const defaultTimeout = 10 * time.Second

// httpConfig is where and how one signal is sent over OTLP/HTTP.
type httpConfig struct {
	url     string
	headers map[string]string
	timeout time.Duration
	gzip    bool
	tls     *tls.Config // nil: the system's roots, no client certificate
}

// resolveHTTP reads the OTLP exporter variables of signal ("metrics",
// "traces") as the specification says, after what s carries from the config
// (For passes a config value only when its variables are unset):
//   - endpoint: otlp.endpoint + /v1/<signal>, else
//     OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT as is, else
//     OTEL_EXPORTER_OTLP_ENDPOINT + /v1/<signal>, else
//     https://localhost:4318/v1/<signal>;
//   - _HEADERS: comma-separated key=value, values percent-decoded;
//   - _TIMEOUT: milliseconds, default 10 s;
//   - _COMPRESSION: gzip or none;
//   - _INSECURE=true: plain text, an https:// endpoint is used as http://;
//   - _CERTIFICATE (PEM roots), _CLIENT_CERTIFICATE and _CLIENT_KEY (PEM).
//
// Each _<SIGNAL>_ variable wins over the general one.
func resolveHTTP(signal string, s Settings, env func(string) (string, bool)) (httpConfig, error) {
	sig := strings.ToUpper(signal)
	path := "/v1/" + signal
	get := func(name string) (string, string) { // value, variable
		k := "OTEL_EXPORTER_OTLP_" + sig + "_" + name
		if v, _ := env(k); strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), k
		}
		k = "OTEL_EXPORTER_OTLP_" + name
		v, _ := env(k)
		return strings.TrimSpace(v), k
	}
	var c httpConfig
	switch sv, _ := env("OTEL_EXPORTER_OTLP_" + sig + "_ENDPOINT"); {
	case s.opts.endpoint != "":
		c.url = strings.TrimSuffix(s.opts.endpoint, "/") + path
		if s.opts.insecure {
			c.url = strings.Replace(c.url, "https://", "http://", 1)
		}
	case strings.TrimSpace(sv) != "":
		c.url = strings.TrimSpace(sv)
	default:
		if gv, _ := env("OTEL_EXPORTER_OTLP_ENDPOINT"); strings.TrimSpace(gv) != "" {
			c.url = strings.TrimSuffix(strings.TrimSpace(gv), "/") + path
		} else {
			c.url = "https://localhost:4318" + path
		}
	}
	if v, k := get("INSECURE"); v != "" {
		switch strings.ToLower(v) {
		case "true":
			c.url = strings.Replace(c.url, "https://", "http://", 1)
		case "false":
		default:
			return c, fmt.Errorf("%s: want true or false, got %q", k, v)
		}
	}
	if p, err := url.Parse(c.url); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return c, fmt.Errorf("%s endpoint %s is not an http(s) URL", signal, redactURL(c.url))
	}

	c.headers = s.opts.headers
	if c.headers == nil {
		v, _ := get("HEADERS")
		c.headers = parseHeaders(v)
	}

	c.timeout = s.opts.timeout
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
		if v, k := get("TIMEOUT"); v != "" {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms <= 0 {
				return c, fmt.Errorf("%s: want a positive number of milliseconds, got %q", k, v)
			}
			c.timeout = time.Duration(ms) * time.Millisecond
		}
	}

	switch v, k := get("COMPRESSION"); strings.ToLower(v) {
	case "gzip":
		c.gzip = true
	case "", "none":
	default:
		return c, fmt.Errorf("%s: want gzip or none, got %q", k, v)
	}

	var err error
	if c.tls, err = tlsConfig(get); err != nil {
		return c, err
	}
	return c, nil
}

// tlsConfig reads _CERTIFICATE, _CLIENT_CERTIFICATE and _CLIENT_KEY; nil
// when none is set.
func tlsConfig(get func(string) (string, string)) (*tls.Config, error) {
	ca, caKey := get("CERTIFICATE")
	cert, certKey := get("CLIENT_CERTIFICATE")
	key, keyKey := get("CLIENT_KEY")
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caKey, err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate in %s", caKey, ca)
		}
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%s and %s must be set together", certKey, keyKey)
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", certKey, keyKey, err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}

// parseHeaders reads the OTEL_EXPORTER_OTLP_HEADERS format: k=v pairs,
// comma-separated, URL-encoded values. Malformed pairs are skipped.
func parseHeaders(s string) map[string]string {
	if s == "" {
		return nil
	}
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// redactURL drops the user information and query of u for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable)"
	}
	p.User, p.RawQuery, p.ForceQuery, p.Fragment = nil, "", false, ""
	return p.String()
}
