%% The gen_server of the GenServer call benchmark: a counter that replies with its
%% state and increments it (livelong: the Counter in benchmarks/_livelong.py).
-module(bench_counter).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

init(N) -> {ok, N}.

handle_call(get, _From, N) -> {reply, N, N + 1}.

handle_cast(_Msg, N) -> {noreply, N}.
