using StreamingCore.WebSample;

// dotnet run --project samples/StreamingCore.WebSample, then open the URL it prints.
await WebSampleApp.Create(args).RunAsync();
