"""Where ``openprofiles import`` sends its objects: the object service here, or a server.

:class:`LocalSink` stores each batch through the object service in one write transaction,
committed on the bulk-load thread of ``storage/bulk.py`` while the next batch is read and
mapped (a batch counts once its commit is done: :class:`Sent`); :class:`RemoteSink` sends one
PutProfileObject per object, from a small thread pool, to the server at ``--endpoint-url``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from openprofiles.context import Caller
from openprofiles.errors import ServiceError

if TYPE_CHECKING:
    from openprofiles.storage.database import Committer

HTTP_WORKERS = 8
# Objects per write transaction of a local import while another connection (a server on the
# same data directory) is writing too: that writer waits for the transaction under way, so a
# smaller one keeps its wait short.
SHARED_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one object: stored (perhaps creating a profile) or rejected with a reason."""

    error: str | None = None
    profile_created: bool = False


class ImportStopped(Exception):
    """The import cannot go on: the domain or object type is missing, the server is gone."""


@dataclass
class Sent:
    """A batch handed to a sink; its outcomes stand once :meth:`outcomes` returns.

    A local import's batch may still be committing on the bulk-load thread when ``put_many``
    returns (the next batch is read and mapped meanwhile): ``stored`` then resolves when it is
    stored, or fails, and the batch is not stored.
    """

    results: list[Outcome]
    stored: Future[None] | None = None

    def outcomes(self) -> list[Outcome]:
        """The batch's outcomes; raises :class:`ImportStopped` if it could not be stored."""
        if self.stored is not None:
            try:
                self.stored.result()
            except Exception as exc:
                raise ImportStopped(f"a batch could not be stored: {exc}") from exc
        return self.results


class Sink(Protocol):
    """Where objects go: the local object service or a running server."""

    counts_profiles: bool  # whether outcomes say if a profile was created

    def check(self) -> None:
        """Raise :class:`ImportStopped` unless the domain and object type exist."""

    def batch_size(self, preferred: int) -> int:
        """How many objects to send in the next batch, ``preferred`` by default."""

    def put_many(
        self, texts: Sequence[str], parsed: Sequence[dict[str, Any]] | None = None
    ) -> Sent:
        """Store ``texts`` (``parsed``: the same objects, already parsed)."""


class ObjectWriter(Protocol):
    def put_many(
        self,
        caller: Caller,
        domain: str,
        object_type: str,
        texts: Sequence[str],
        parsed: Sequence[dict[str, Any]] | None = None,
        *,
        commit: Committer | None = None,
        within: Any = None,
    ) -> Sequence[Any]: ...


class ObjectTypeReader(Protocol):
    def get(self, caller: Caller, domain: str, name: str) -> Any: ...


class BulkLoad(Protocol):
    """What a local import asks of the database it loads (``storage.bulk.BulkWrites``)."""

    @property
    def others_writing(self) -> bool: ...

    def commit_later(self, finish: Callable[[], None]) -> Future[None]: ...

    def batch_written(self) -> None: ...


class LocalSink:
    """The object service in this process: ``put_many`` per batch, one transaction each.

    With ``bulk`` (the database's bulk-load settings), each batch's commit is handed to it, so
    on SQLite the next batch is read and mapped while the last one is being committed; it is
    told after each batch, and says when batches should be smaller.
    """

    counts_profiles = True

    def __init__(
        self,
        objects: ObjectWriter,
        object_types: ObjectTypeReader,
        caller: Caller,
        domain: str,
        object_type: str,
        bulk: BulkLoad | None = None,
    ) -> None:
        self.objects = objects
        self.object_types = object_types
        self.caller = caller
        self.domain = domain
        self.object_type = object_type
        self.bulk = bulk

    def check(self) -> None:
        try:
            self.object_types.get(self.caller, self.domain, self.object_type)
        except ServiceError as exc:
            raise ImportStopped(exc.message) from exc

    def batch_size(self, preferred: int) -> int:
        if self.bulk is not None and self.bulk.others_writing:
            return min(preferred, SHARED_BATCH)
        return preferred

    def put_many(
        self,
        texts: Sequence[str],
        parsed: Sequence[dict[str, Any]] | None = None,
        within: Any = None,
    ) -> Sent:
        """``within``: written in the batch's transaction (``ObjectService.WithinBatch``)."""
        from openprofiles.storage.bulk import CommitFailed

        stored: list[Future[None]] = []

        def commit(finish: Callable[[], None]) -> None:
            assert self.bulk is not None
            stored.append(self.bulk.commit_later(finish))

        # Only an integration's runs write within the batch: imports keep the writer's shape.
        extra = {} if within is None else {"within": within}
        try:
            results = self.objects.put_many(
                self.caller,
                self.domain,
                self.object_type,
                texts,
                parsed,
                commit=None if self.bulk is None else commit,
                **extra,
            )
        except ServiceError as exc:
            # A whole batch refused is not the objects' fault (the type was deleted meanwhile).
            raise ImportStopped(exc.message) from exc
        except CommitFailed as exc:
            raise ImportStopped(str(exc)) from exc
        if self.bulk is not None:
            self.bulk.batch_written()
        outcomes = [
            Outcome(error=r.message)
            if isinstance(r, ServiceError)
            else Outcome(profile_created=bool(r.profile_created))
            for r in results
        ]
        return Sent(outcomes, stored[0] if stored else None)


class RemoteSink:
    """A running server: one PutProfileObject per object, ``workers`` at a time.

    Uses botocore (what boto3 wraps) with the standard AWS credential chain, falling back to
    the server's default ``test``/``test`` when none is configured.
    """

    counts_profiles = False  # PutProfileObject answers only the ProfileObjectUniqueKey

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        domain: str,
        object_type: str,
        workers: int = HTTP_WORKERS,
    ) -> None:
        import botocore.session
        from botocore.config import Config

        session = botocore.session.get_session()
        fallback = {} if session.get_credentials() else {"aws_access_key_id": "test"}
        if fallback:
            fallback["aws_secret_access_key"] = "test"
        self.client = session.create_client(
            "customer-profiles",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                max_pool_connections=workers, retries={"mode": "standard", "max_attempts": 5}
            ),
            **fallback,
        )
        self.endpoint_url = endpoint_url
        self.domain = domain
        self.object_type = object_type
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="import")

    def check(self) -> None:
        reason = self._call(
            self.client.get_profile_object_type,
            DomainName=self.domain,
            ObjectTypeName=self.object_type,
        )
        if reason is not None:
            raise ImportStopped(reason)

    def _call(self, method: Callable[..., Any], **params: Any) -> str | None:
        """Call the API; the reason when the server refused the request, None when it took it."""
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        try:
            method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'Error')}: {error.get('Message', '')}"
            if error.get("Code") in ("ResourceNotFoundException", "AccessDeniedException") or (
                exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) in (401, 403)
            ):
                raise ImportStopped(reason) from exc
            return reason
        except ParamValidationError as exc:
            return str(exc)
        except BotoCoreError as exc:
            raise ImportStopped(f"cannot reach {self.endpoint_url}: {exc}") from exc
        return None

    def batch_size(self, preferred: int) -> int:
        return preferred

    def _put(self, text: str) -> Outcome:
        reason = self._call(
            self.client.put_profile_object,
            DomainName=self.domain,
            ObjectTypeName=self.object_type,
            Object=text,
        )
        return Outcome(error=reason)

    def put_many(
        self, texts: Sequence[str], parsed: Sequence[dict[str, Any]] | None = None
    ) -> Sent:
        return Sent(list(self.pool.map(self._put, texts)))

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)
