-- The typed workload's request: a JSON body POSTed with a path and two query parameters.
local file = io.open(os.getenv("TYPED_BODY_FILE"), "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
