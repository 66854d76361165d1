using Clickstream.ServiceDefaults.Kafka;

namespace Clickstream.ServiceDefaults.Tests;

public sealed class KafkaStatisticsTests
{
    [Fact]
    public void Statistics_json_becomes_a_snapshot_with_lag_summed_over_real_partitions()
    {
        const string json = """
        {"name":"rdkafka#consumer-1","client_id":"dashboard","type":"consumer","msg_cnt":3,"msg_size":300,
         "txmsgs":10,"txmsg_bytes":1000,"rxmsgs":20,"rxmsg_bytes":2000,
         "topics":{"hits":{"partitions":{
            "0":{"consumer_lag":5},"1":{"consumer_lag":-1},"2":{"consumer_lag":7},"-1":{"consumer_lag":100}}}}}
        """;

        var snapshot = KafkaStatisticsMetrics.Parse(json);

        Assert.Equal("dashboard", snapshot.ClientId);
        Assert.Equal("consumer", snapshot.Type);
        Assert.Equal(3, snapshot.QueueMessages);
        Assert.Equal(300, snapshot.QueueBytes);
        Assert.Equal(10, snapshot.SentMessages);
        Assert.Equal(20, snapshot.ReceivedMessages);
        Assert.Equal(12, snapshot.ConsumerLag);
    }
}
