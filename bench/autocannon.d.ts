// The part of autocannon's API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p99: number
    p99_9: number
    total: number
  }
  interface Result {
    title?: string
    url: string
    duration: number
    connections: number
    latency: Histogram
    requests: Histogram
    throughput: Histogram
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    '4xx': number
    '5xx': number
    statusCodeStats: Record<string, { count: number }>
  }
  interface Options {
    url: string
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    pipelining?: number
    timeout?: number
    title?: string
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
