package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"
)

// node is the part of a Kubernetes Node object that svclab-cni needs.
// Zero values mean "not known yet".
type node struct {
	Name       string
	PodCIDR    netip.Prefix // IPv4 pod range
	InternalIP netip.Addr   // IPv4 InternalIP
}

// nodeList mirrors only the fields of a v1.NodeList that are decoded.
type nodeList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			PodCIDR  string   `json:"podCIDR"`
			PodCIDRs []string `json:"podCIDRs"`
		} `json:"spec"`
		Status struct {
			Addresses []struct {
				Type    string `json:"type"`
				Address string `json:"address"`
			} `json:"addresses"`
		} `json:"status"`
	} `json:"items"`
}

// parseNodes decodes a NodeList JSON document. It keeps the first IPv4
// podCIDR (spec.podCIDRs, then spec.podCIDR) and the first IPv4
// InternalIP of each node; invalid or IPv6 values are ignored.
func parseNodes(data []byte) ([]node, error) {
	var list nodeList
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("decode node list: %w", err)
	}
	nodes := make([]node, 0, len(list.Items))
	for _, it := range list.Items {
		n := node{Name: it.Metadata.Name}
		for _, s := range append(it.Spec.PodCIDRs, it.Spec.PodCIDR) {
			if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
				n.PodCIDR = p.Masked()
				break
			}
		}
		for _, a := range it.Status.Addresses {
			if a.Type != "InternalIP" {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() {
				n.InternalIP = ip
				break
			}
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// apiClient lists nodes from the Kubernetes API with a service account token.
type apiClient struct {
	baseURL   string
	tokenFile string
	http      *http.Client
}

// newAPIClient returns a client for baseURL that trusts only the CA in caFile.
func newAPIClient(baseURL, caFile, tokenFile string) (*apiClient, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificates in %s", caFile)
	}
	tr := &http.Transport{
		Proxy:           nil, // talk to the API server directly
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	return &apiClient{
		baseURL:   strings.TrimSuffix(baseURL, "/"),
		tokenFile: tokenFile,
		http:      &http.Client{Transport: tr, Timeout: 10 * time.Second},
	}, nil
}

// listNodes fetches and parses /api/v1/nodes. The token is re-read on every
// call because projected service account tokens are rotated.
func (c *apiClient) listNodes(ctx context.Context) ([]node, error) {
	token, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+"/api/v1/nodes", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read node list: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/nodes: %s: %.200s", resp.Status, body)
	}
	return parseNodes(body)
}
