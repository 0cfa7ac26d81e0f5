%% The supervisor of the mass restart benchmark: a simple_one_for_one supervisor
%% (OTP's DynamicSupervisor) whose children are bench_counter gen_servers, restart
%% permanent (livelong: a DynamicSupervisor of the Worker in benchmarks/_livelong.py).
-module(bench_dynsup).
-behaviour(supervisor).
-export([start/1, init/1, start_worker/1]).

%% Intensity restarts allowed within 60 s, as the livelong side allows.
start(Intensity) ->
    {ok, Sup} = supervisor:start_link(?MODULE, Intensity),
    unlink(Sup),
    {ok, Sup}.

init(Intensity) ->
    Flags = #{strategy => simple_one_for_one, intensity => Intensity, period => 60},
    Child = #{id => worker,
              start => {?MODULE, start_worker, []},
              restart => permanent,
              type => worker},
    {ok, {Flags, [Child]}}.

start_worker(N) ->
    gen_server:start_link(bench_counter, N, []).
