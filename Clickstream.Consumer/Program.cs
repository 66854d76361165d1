var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddClickstreamConsumer();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapStatsApi();

app.Run();

/// <summary>Visible to <c>WebApplicationFactory</c> in the tests.</summary>
public partial class Program;
