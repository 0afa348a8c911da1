/** The gRPC runner's pure parts: fortio's grpcDestination, the TLS choice, RunType, metadata, grpc-go's error text. */
import { describe, expect, it } from 'vitest';
import { grpcDestination, grpcUsesTls } from '../../src/grpc/options.js';
import { goStatusText } from '../../src/grpc/goStatus.js';
import { grpcConnections, grpcMetadata, grpcRunType } from '../../src/load/runGrpcLoad.js';
import { DEFAULT_HTTP_OPTIONS } from '../../src/http/options.js';

describe('grpcDestination (fgrpc/grpcrunner.go)', () => {
  it.each([
    ['127.0.0.1:8079', '127.0.0.1:8079'],
    ['127.0.0.1', '127.0.0.1:8079'],
    ['fortio', 'fortio:8079'],
    ['fortio:9000', 'fortio:9000'],
    ['::1', '[::1]:8079'],
    ['[::1]:9000', '[::1]:9000'],
    ['http://fortio', 'fortio:80'],
    ['http://fortio:8079/', 'fortio:8079'],
    ['https://grpc.example', 'grpc.example:443'],
    ['https://grpc.example:8443/', 'grpc.example:8443'],
  ])('%s → %s', (dest, want) => expect(grpcDestination(dest)).toBe(want));

  it('TLS for https:// or a -cacert, as fgrpc.Dial', () => {
    expect(grpcUsesTls('127.0.0.1:8079', '')).toBe(false);
    expect(grpcUsesTls('http://h:1/', '')).toBe(false);
    expect(grpcUsesTls('https://h', '')).toBe(true);
    expect(grpcUsesTls('h:1', '-----BEGIN CERTIFICATE-----')).toBe(true);
  });
});

describe('RunType, -c, metadata and errors as fortio writes them', () => {
  it('RunType', () => {
    expect(grpcRunType({ ping: true, delayNs: 0, healthService: '', payload: '' })).toBe('GRPC Ping');
    expect(grpcRunType({ ping: true, delayNs: 10e6, healthService: '', payload: 'abc' })).toBe('GRPC Ping Delay=10ms PayloadLength=3');
    expect(grpcRunType({ ping: false, delayNs: 0, healthService: 'ping', payload: '' })).toBe("GRPC Health for 'ping'");
  });

  it('-c below 1 is 4 (RunGRPCTest), and metadata is lower-cased without content headers', () => {
    expect([grpcConnections(0), grpcConnections(-3), grpcConnections(2)]).toEqual([4, 4, 2]);
    const md = grpcMetadata({ ...DEFAULT_HTTP_OPTIONS, userAgent: 'ua/1', host: 'svc', headers: [['X-Trace', 'a'], ['x-trace', 'b'], ['Content-Length', '3']] });
    expect(md).toEqual({ 'user-agent': ['ua/1'], host: ['svc'], 'x-trace': ['a', 'b'] });
  });

  it('grpc-go error text', () => {
    expect(goStatusText(14, 'no connection')).toBe('rpc error: code = Unavailable desc = no connection');
    expect(goStatusText(5, 'unknown service')).toBe('rpc error: code = NotFound desc = unknown service');
    expect(goStatusText(99, 'x')).toBe('rpc error: code = Code(99) desc = x');
  });
});
