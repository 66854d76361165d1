# What the benchmarks must spell as the services do, in one place for every bench/*.sh (sourced). The values are
# Clickstream.Contracts' (PipelineDefaults, KafkaHeaders, the access-log line); tests/Clickstream.Contracts.Tests
# (PipelineLiteralTests) fails when they drift apart.
topic=clickstream
consumer_group=clickstream-dashboard
event_id_header=event-id
traceparent_header=traceparent
# One access-log line in the seed's eleven fields, in the contract's order.
sample_line='{"remote":"172.21.0.1","host":"-","user":"-","time":"2020-11-16T08:31:47+00:00","method":"GET","path":"/i?param=testing","code":"200","size":"43","referer":"-","agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","cookie":"3dfd6da7ee3f1d1f5f9700cc248f62bf"}'
