#include "eddy/web/rest_server.hpp"
#include "eddy/web/worker_jobs.hpp"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include <nlohmann/json.hpp>

#include "checkpoint_views.hpp"
#include "dashboard_assets.hpp"
#include "eddy/runtime/log.hpp"
#include "job_views.hpp"
#include "prometheus_text.hpp"
#include "rate_sampler.hpp"

namespace eddy::web {

using nlohmann::json;

namespace {

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, json{{"errors", json::array({message})}}, status);
}

/// A backend error as an HTTP status: the request's fault (400) or the server's (500).
void send_backend_error(httplib::Response& res, const error& e) {
  send_error(res, e.code == errc::invalid_argument ? 400 : 500, e.message);
}

bool equal_constant_time(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

/// The request's JSON body ({} when empty), or nullopt after answering 400.
std::optional<json> body_of(const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) return json::object();
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    send_error(res, 400, "the request body is not a JSON object");
    return std::nullopt;
  }
  return j;
}

/// A boolean field of a body: absent -> fallback; anything but a boolean -> 400.
std::optional<bool> bool_field(const json& body, const char* key, bool fallback,
                               httplib::Response& res) {
  auto it = body.find(key);
  if (it == body.end()) return fallback;
  if (!it->is_boolean()) {
    send_error(res, 400, std::string("'") + key + "' must be true or false");
    return std::nullopt;
  }
  return it->get<bool>();
}

std::optional<std::string> string_field(const json& body, const char* key, httplib::Response& res) {
  auto it = body.find(key);
  if (it == body.end()) return std::string();
  if (!it->is_string()) {
    send_error(res, 400, std::string("'") + key + "' must be a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

/// A non-negative decimal id of a path (`what` names it), or nullopt after answering 400.
template <class Int>
std::optional<Int> parse_id(const std::string& text, const char* what, httplib::Response& res) {
  Int v{};
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty() || text[0] == '-') {
    send_error(res, 400, std::string(what) + " '" + text + "' is not a number");
    return std::nullopt;
  }
  return v;
}

}  // namespace

struct rest_server::impl {
  impl(job_backend& b, rest_options o) : backend(b), opts(std::move(o)) {}
  job_backend& backend;
  const rest_options opts;
  httplib::Server svr;
  std::unique_ptr<rate_sampler> sampler;
  std::thread thread;
  std::uint16_t port = 0;

  /// The job's JSON (job_view's, or the backend's own if `raw`), or nullopt after answering 404
  /// (unknown id) or the backend's error.
  std::optional<json> job_or_answer(const std::string& id, httplib::Response& res,
                                    bool raw = false) {
    auto list = backend.jobs();
    if (!list) {
      send_backend_error(res, list.error());
      return std::nullopt;
    }
    const auto jobs = json::parse(*list, nullptr, false);
    const bool known = jobs.is_array() && std::any_of(jobs.begin(), jobs.end(), [&](const json& j) {
                         return j.value("id", "") == id;
                       });
    if (!known) {
      send_error(res, 404, "no job with id '" + id + "'");
      return std::nullopt;
    }
    auto detail = backend.job(id);
    if (!detail) {
      send_backend_error(res, detail.error());
      return std::nullopt;
    }
    auto j = json::parse(*detail, nullptr, false);
    if (j.is_discarded()) {
      send_error(res, 500, "the backend's answer for job '" + id + "' is not JSON");
      return std::nullopt;
    }
    if (raw) return j;
    return job_view(std::move(j), sampler->rates(id));
  }

  std::optional<json> parsed(const expected<std::string>& text, httplib::Response& res) {
    if (!text) {
      send_backend_error(res, text.error());
      return std::nullopt;
    }
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) {
      send_error(res, 500, "the backend's answer is not JSON");
      return std::nullopt;
    }
    return j;
  }

  void routes();
  void read_routes();
  void action_routes();
  /// A worker's server: the action paths answer 405 (worker_jobs.hpp).
  void refused_action_routes();
  /// GET /jobs/ID/vertices/VID/flamegraph[?type=on_cpu][&duration_ms=N] (default 1000).
  void flame_graph(const httplib::Request& req, httplib::Response& res);
};

void rest_server::impl::routes() {
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (opts.token.empty() || find_dashboard_asset(req.path) != nullptr)
      return httplib::Server::HandlerResponse::Unhandled;
    const auto auth = req.get_header_value("Authorization");
    if (auth.empty()) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401,
                 "this server needs 'Authorization: Bearer TOKEN' (`eddy rest-token "
                 "--secret-file FILE` prints the token of the cluster secret)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!equal_constant_time(auth, "Bearer " + opts.token)) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      send_error(res, 401, "wrong bearer token (it is derived from the cluster secret)");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 400 && !req.has_header("Content-Length") &&
        (req.method == "POST" || req.method == "PATCH" || req.method == "PUT"))
      return send_error(res, 400,
                        "a " + req.method +
                            " request needs a body or 'Content-Length: 0' (curl: -d '' or -d "
                            "'{...}')");
    send_error(res, res.status,
               res.status == 404 ? "no such resource: " + req.method + " " + req.path
                                 : "bad request: " + req.method + " " + req.path);
  });
  svr.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log().error("REST {} {} failed: {}", req.method, req.path, what);
        send_error(res, 500, "internal error: " + what);
      });
  for (const char* path : {"/", "/index.html", "/app.js", "/style.css"})
    svr.Get(path, [](const httplib::Request& req, httplib::Response& res) {
      const auto* a = find_dashboard_asset(req.path);
      res.set_content(std::string(a->body), std::string(a->content_type).c_str());
    });
  read_routes();
  if (backend.mode() == "worker")
    refused_action_routes();
  else
    action_routes();
}

void rest_server::impl::read_routes() {
  svr.Get("/config", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"mode", backend.mode()},
                    {"eddy-version", "0.1.0"},
                    {"refresh-interval", opts.sample_interval.count()},
                    {"auth", !opts.token.empty()}});
  });
  svr.Get("/overview", [this](const httplib::Request&, httplib::Response& res) {
    auto jobs = parsed(backend.jobs(), res);
    if (!jobs) return;
    auto workers = parsed(backend.workers(), res);
    if (!workers) return;
    send_json(res, overview_view(*jobs, *workers, backend.mode()));
  });
  svr.Get("/jobs", [this](const httplib::Request&, httplib::Response& res) {
    auto jobs = parsed(backend.jobs(), res);
    if (!jobs) return;
    auto out = json::array();
    for (const auto& j : *jobs) out.push_back({{"id", j.value("id", "")}, {"status", j["state"]}});
    send_json(res, {{"jobs", out}});
  });
  svr.Get("/jobs/overview", [this](const httplib::Request&, httplib::Response& res) {
    auto jobs = parsed(backend.jobs(), res);
    if (jobs) send_json(res, {{"jobs", *jobs}});
  });
  svr.Get(R"(/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto j = job_or_answer(req.matches[1], res)) send_json(res, *j);
  });
  svr.Get(R"(/jobs/([^/]+)/plan)", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto j = job_or_answer(req.matches[1], res)) send_json(res, {{"plan", (*j)["plan"]}});
  });
  svr.Get(R"(/jobs/([^/]+)/vertices/([^/]+))",
          [this](const httplib::Request& req, httplib::Response& res) {
            auto j = job_or_answer(req.matches[1], res);
            if (!j) return;
            const std::string vid = req.matches[2];
            for (const auto& v : (*j)["vertices"])
              if (std::to_string(v.value("id", -1)) == vid) return send_json(res, v);
            send_error(res, 404, "job '" + std::string(req.matches[1]) + "' has no vertex " + vid);
          });
  svr.Get(R"(/jobs/([^/]+)/vertices/([^/]+)/flamegraph)",
          [this](const httplib::Request& req, httplib::Response& res) { flame_graph(req, res); });
  svr.Get(R"(/jobs/([^/]+)/checkpoints)",
          [this](const httplib::Request& req, httplib::Response& res) {
            if (auto j = job_or_answer(req.matches[1], res, true))
              send_json(res, checkpoints_view(*j));
          });
  svr.Get(R"(/jobs/([^/]+)/checkpoints/details/([^/]+))",
          [this](const httplib::Request& req, httplib::Response& res) {
            const auto cid = parse_id<std::uint64_t>(req.matches[2], "checkpoint id", res);
            if (!cid) return;
            auto j = job_or_answer(req.matches[1], res, true);
            if (!j) return;
            std::string why;
            if (auto v = checkpoint_details_view(*j, *cid, why))
              send_json(res, *v);
            else
              send_error(res, 404, why);
          });
  svr.Get(R"(/jobs/([^/]+)/checkpoints/details/([^/]+)/subtasks/([^/]+))",
          [this](const httplib::Request& req, httplib::Response& res) {
            const auto cid = parse_id<std::uint64_t>(req.matches[2], "checkpoint id", res);
            if (!cid) return;
            const auto vid = parse_id<int>(req.matches[3], "vertex id", res);
            if (!vid) return;
            auto j = job_or_answer(req.matches[1], res, true);
            if (!j) return;
            std::string why;
            if (auto v = checkpoint_vertex_view(*j, *cid, *vid, why))
              send_json(res, *v);
            else
              send_error(res, 404, why);
          });
  svr.Get(R"(/jobs/([^/]+)/exceptions)",
          [this](const httplib::Request& req, httplib::Response& res) {
            if (auto j = job_or_answer(req.matches[1], res)) send_json(res, exceptions_view(*j));
          });
  svr.Get("/taskmanagers", [this](const httplib::Request&, httplib::Response& res) {
    if (auto w = parsed(backend.workers(), res)) send_json(res, {{"taskmanagers", *w}});
  });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto jobs = parsed(backend.jobs(), res);
    if (!jobs) return;
    auto workers = parsed(backend.workers(), res);
    if (!workers) return;
    std::vector<json> details;
    for (const auto& j : *jobs) {
      const auto s = j.value("state", "");
      if (s == "FINISHED" || s == "CANCELED" || s == "FAILED") continue;
      const auto id = j.value("id", "");
      auto d = backend.job(id);
      if (!d) continue;  // ended meanwhile
      auto dj = json::parse(*d, nullptr, false);
      if (!dj.is_discarded()) details.push_back(job_view(std::move(dj), sampler->rates(id)));
    }
    res.set_content(prometheus_text(*jobs, details, *workers),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
}

void rest_server::impl::flame_graph(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  const auto vid = parse_id<int>(req.matches[2], "vertex id", res);
  if (!vid) return;
  const auto type = req.has_param("type") ? req.get_param_value("type") : "on_cpu";
  if (type != "on_cpu")
    return send_error(res, 400,
                      "flame graph type '" + type +
                          "': only on_cpu (a subtask waiting for input holds no thread, so it "
                          "has no off-CPU stack)");
  int duration = 1000;
  if (req.has_param("duration_ms")) {
    const auto d = parse_id<int>(req.get_param_value("duration_ms"), "duration_ms", res);
    if (!d) return;
    duration = *d;
  }
  auto j = job_or_answer(id, res, true);
  if (!j) return;
  bool known = false;
  if (j->contains("plan") && (*j)["plan"].is_object())
    for (const auto& v : (*j)["plan"].value("nodes", json::array()))
      known |= v.value("id", -1) == *vid;
  if (!known) return send_error(res, 404, "job '" + id + "' has no vertex " + std::to_string(*vid));
  if (backend.mode() == "cluster")
    return send_error(res, 501, job_backend::flame_graph_elsewhere_message);
  auto graph = backend.flame_graph(id, *vid, std::chrono::milliseconds(duration));
  if (!graph) return send_backend_error(res, graph.error());
  res.set_content(*graph, "application/json");
}

void rest_server::impl::refused_action_routes() {
  const auto refuse = [](const httplib::Request&, httplib::Response& res) {
    send_error(res, 405, worker_read_only_message);
  };
  svr.Post("/jobs", refuse);
  svr.Patch(R"(/jobs/([^/]+))", refuse);
  svr.Post(R"(/jobs/([^/]+)/savepoints)", refuse);
  svr.Post(R"(/jobs/([^/]+)/stop)", refuse);
  svr.Patch(R"(/jobs/([^/]+)/rescaling)", refuse);
}

void rest_server::impl::action_routes() {
  svr.Post("/jobs", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = body_of(req, res);
    if (!body) return;
    auto program = string_field(*body, "program", res);
    if (!program) return;
    if (program->empty()) return send_error(res, 400, "'program' is missing (a job program)");
    std::vector<std::string> args;
    if (body->contains("args")) {
      const auto& a = (*body)["args"];
      const bool strings = a.is_array() && std::all_of(a.begin(), a.end(),
                                                       [](const json& x) { return x.is_string(); });
      if (!strings) return send_error(res, 400, "'args' must be an array of strings");
      args = a.get<std::vector<std::string>>();
    }
    auto id = backend.submit(*program, args);
    if (!id) return send_backend_error(res, id.error());
    send_json(res, {{"jobid", *id}});
  });
  svr.Patch(R"(/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const auto mode = req.has_param("mode") ? req.get_param_value("mode") : "cancel";
    if (mode != "cancel")
      return send_error(res, 400, "unknown mode '" + mode + "' (only mode=cancel is supported)");
    if (!job_or_answer(req.matches[1], res)) return;
    if (auto ok = backend.cancel(req.matches[1]); !ok) return send_backend_error(res, ok.error());
    send_json(res, json::object(), 202);
  });
  auto savepoint = [this](const httplib::Request& req, httplib::Response& res, bool stop) {
    auto body = body_of(req, res);
    if (!body) return;
    auto dir = string_field(*body, stop ? "targetDirectory" : "target-directory", res);
    if (!dir) return;
    auto cancel = bool_field(*body, stop ? "drain" : "cancel-job", false, res);
    if (!cancel) return;
    if (!job_or_answer(req.matches[1], res)) return;
    // A savepoint with cancel-job is a stop with a savepoint (Flink's stop supersedes it).
    auto path = backend.savepoint(req.matches[1], *dir, stop || *cancel, stop && *cancel);
    if (!path) return send_backend_error(res, path.error());
    send_json(res, {{"status", {{"id", "COMPLETED"}}}, {"operation", {{"location", *path}}}});
  };
  svr.Post(R"(/jobs/([^/]+)/savepoints)",
           [savepoint](const httplib::Request& req, httplib::Response& res) {
             savepoint(req, res, false);
           });
  svr.Post(R"(/jobs/([^/]+)/stop)",
           [savepoint](const httplib::Request& req, httplib::Response& res) {
             savepoint(req, res, true);
           });
  svr.Patch(
      R"(/jobs/([^/]+)/rescaling)", [this](const httplib::Request& req, httplib::Response& res) {
        const auto p = req.get_param_value("parallelism");
        int parallelism = 0;
        try {
          std::size_t used = 0;
          parallelism = std::stoi(p, &used);
          if (used != p.size()) parallelism = 0;
        } catch (const std::exception&) {
        }
        if (parallelism < 1 || parallelism > 1024)
          return send_error(res, 400, "parallelism=N is missing or not an integer from 1 to 1024");
        if (!job_or_answer(req.matches[1], res)) return;
        auto id = backend.rescale(req.matches[1], parallelism);
        if (!id) return send_backend_error(res, id.error());
        send_json(res, {{"jobid", *id}});
      });
}

expected<std::unique_ptr<rest_server>> rest_server::start(job_backend& backend, rest_options opts) {
  auto p = std::make_unique<impl>(backend, std::move(opts));
  p->routes();
  const auto where = p->opts.host + ":" + std::to_string(p->opts.port);
  if (p->opts.port == 0) {
    const int port = p->svr.bind_to_any_port(p->opts.host);
    if (port <= 0) return error{errc::io_error, "cannot listen on " + where + " for the REST API"};
    p->port = static_cast<std::uint16_t>(port);
  } else {
    if (!p->svr.bind_to_port(p->opts.host, p->opts.port))
      return error{errc::io_error, "cannot listen on " + where +
                                       " for the REST API: address in use or not available"};
    p->port = p->opts.port;
  }
  p->sampler = std::make_unique<rate_sampler>(backend, p->opts.sample_interval);
  p->thread = std::thread([raw = p.get()] { raw->svr.listen_after_bind(); });
  log().info("REST API on http://{}:{}/", p->opts.host, p->port);
  return std::unique_ptr<rest_server>(new rest_server(std::move(p)));
}

rest_server::rest_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

rest_server::~rest_server() {
  impl_->svr.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->sampler.reset();
}

std::uint16_t rest_server::port() const noexcept {
  return impl_->port;
}

}  // namespace eddy::web
