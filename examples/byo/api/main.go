// api is the "your own system" example for chaoskit: a small HTTP service that keeps
// orders in DynamoDB (through the AWS SDK for Go v2) and a counter in Redis.
//
// It knows nothing about chaoskit. It reads where its dependencies are from the
// environment, as a twelve-factor service does, and resolves their names through the
// system resolver (Go's own resolver, which reads /etc/resolv.conf).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/redis/go-redis/v9"
)

const counterKey = "byo:orders"

type service struct {
	table   string
	db      *dynamodb.Client
	redis   *redis.Client
	metrics *metrics
}

// metrics is a Prometheus text exposition of requests and dependency errors.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]float64 // route, outcome
	errors   map[[2]string]float64 // dependency, kind
	seconds  map[string]float64    // route: total latency
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]float64{}, errors: map[[2]string]float64{}, seconds: map[string]float64{}}
}

func (m *metrics) request(route, outcome string, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, outcome}]++
	m.seconds[route] += took.Seconds()
}

func (m *metrics) failure(dependency string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errors[[2]string{dependency, errorKind(err)}]++
}

func (m *metrics) write(w http.ResponseWriter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# TYPE byo_requests_total counter")
	for _, key := range sortedKeys(m.requests) {
		fmt.Fprintf(w, "byo_requests_total{route=%q,outcome=%q} %g\n", key[0], key[1], m.requests[key])
	}
	fmt.Fprintln(w, "# TYPE byo_dependency_errors_total counter")
	for _, key := range sortedKeys(m.errors) {
		fmt.Fprintf(w, "byo_dependency_errors_total{dependency=%q,kind=%q} %g\n", key[0], key[1], m.errors[key])
	}
	fmt.Fprintln(w, "# TYPE byo_request_seconds_total counter")
	routes := make([]string, 0, len(m.seconds))
	for route := range m.seconds {
		routes = append(routes, route)
	}
	sort.Strings(routes)
	for _, route := range routes {
		fmt.Fprintf(w, "byo_request_seconds_total{route=%q} %g\n", route, m.seconds[route])
	}
}

func sortedKeys(m map[[2]string]float64) [][2]string {
	keys := make([][2]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	return keys
}

// errorKind names the failure as an operator would: the resolver said no, a timeout, ...
func errorKind(err error) string {
	text := err.Error()
	switch {
	case strings.Contains(text, "no such host"):
		return "no_such_host"
	case strings.Contains(text, "server misbehaving"), strings.Contains(text, "lookup "):
		return "dns"
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(text, "timeout"):
		return "timeout"
	case strings.Contains(text, "connection refused"), strings.Contains(text, "connection reset"):
		return "connection"
	default:
		return "other"
	}
}

func (s *service) ensureTable(ctx context.Context) error {
	_, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
	var missing *types.ResourceNotFoundException
	if err == nil || !errors.As(err, &missing) {
		return err
	}
	_, err = s.db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(s.table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var exists *types.ResourceInUseException
	if errors.As(err, &exists) {
		return nil
	}
	return err
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// fail answers 503 with the dependency's own error text, so a report shows what the
// service saw (for example "dial tcp: lookup dynamodb.us-east-1.lab.test ...: no such host").
func (s *service) fail(w http.ResponseWriter, dependency string, err error) {
	s.metrics.failure(dependency, err)
	log.Printf("%s: %v", dependency, err)
	reply(w, http.StatusServiceUnavailable, map[string]string{"dependency": dependency, "error": err.Error()})
}

func (s *service) createOrder(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	id := strconv.FormatInt(time.Now().UnixNano(), 36)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: id},
			"created": &types.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)},
		},
	})
	if err != nil {
		s.fail(w, "dynamodb", err)
		return
	}
	count, err := s.redis.Incr(ctx, counterKey).Result()
	if err != nil {
		s.fail(w, "redis", err)
		return
	}
	reply(w, http.StatusCreated, map[string]any{"id": id, "orders": count})
}

func (s *service) getOrder(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	id := r.PathValue("id")
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		s.fail(w, "dynamodb", err)
		return
	}
	if out.Item == nil {
		reply(w, http.StatusNotFound, map[string]string{"error": "no order " + id})
		return
	}
	reply(w, http.StatusOK, map[string]string{"id": id})
}

func (s *service) count(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	count, err := s.redis.Get(ctx, counterKey).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		s.fail(w, "redis", err)
		return
	}
	reply(w, http.StatusOK, map[string]int64{"orders": count})
}

func (s *service) instrument(route string, handler http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		handler(recorder, r)
		outcome := "ok"
		if recorder.status >= 500 {
			outcome = "error"
		}
		s.metrics.request(route, outcome, time.Since(started))
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	listen := env("LISTEN", "127.0.0.1:8080")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// The SDK reads AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and the credentials itself.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.AddWithMaxAttempts(retry.NewStandard(), 2)
	}))
	if err != nil {
		log.Fatalf("aws config: %v", err)
	}
	s := &service{
		table:   env("ORDERS_TABLE", "byo-orders"),
		db:      dynamodb.NewFromConfig(cfg),
		redis:   redis.NewClient(&redis.Options{Addr: env("REDIS_ADDR", "127.0.0.1:6379"), DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: 1}),
		metrics: newMetrics(),
	}
	for attempt := 1; ; attempt++ {
		setup, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = s.ensureTable(setup)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || attempt == 20 {
			log.Fatalf("table %s: %v", s.table, err)
		}
		time.Sleep(250 * time.Millisecond)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { reply(w, http.StatusOK, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) { s.metrics.write(w) })
	mux.HandleFunc("POST /orders", s.instrument("create", s.createOrder))
	mux.HandleFunc("GET /orders/{id}", s.instrument("get", s.getOrder))
	mux.HandleFunc("GET /count", s.instrument("count", s.count))
	server := &http.Server{Addr: listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()
	log.Printf("byo api listening on %s (table %s)", listen, s.table)
	if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("listen: %v", err)
	}
}
