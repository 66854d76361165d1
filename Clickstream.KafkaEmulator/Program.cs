var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddKafkaEmulator();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapKafkaEmulatorApi();

app.Run();
