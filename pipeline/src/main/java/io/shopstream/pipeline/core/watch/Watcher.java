package io.shopstream.pipeline.core.watch;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.files.VersionOrder;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.KeptConnection;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.Serializable;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the file versions in a folder that the ledger has not committed and hands each out once
 * while it is in flight (handed out, not committed yet), in lists of versions found together.
 *
 * <p>Where the operating system tells of files landing (a local folder), it looks at the files
 * named as soon as they land (within milliseconds) and lists the whole folder only once a minute,
 * when notices were lost, or when a version in flight is due again: a folder that keeps thousands
 * of committed files costs nothing to watch while nothing lands. Elsewhere it lists the folder
 * every poll interval. Its only state is the versions in flight, bounded by the files in the
 * folder; losing it costs work, never data, since the ingest takes a lock on a version and commits
 * its ledger row with its rows. A version still uncommitted {@code inFlightTimeoutMillis} after it
 * was handed out is handed out again, in case a runner lost it. Committed versions still in the
 * folder are handed to {@link ProcessedFiles}: a crash cut their archive or removal short.
 */
public final class Watcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Watcher.class);

  /** Looks on landing notices are this far apart at least: a burst of files is looked at once. */
  private static final long MIN_LISTING_GAP_MILLIS = 50;

  /** A burst of landings has ended once no notice came for this long (micro-batches only). */
  private static final long BURST_GAP_MILLIS = 20;

  /** A burst is looked at after this long at the latest, even if files still land. */
  private static final long BURST_MAX_MILLIS = 200;

  /**
   * Where notices come, the whole folder is listed this often (or every poll interval, if longer)
   * all the same: a file written through another machine's mount of a shared folder sends none.
   */
  private static final long LISTING_WITH_NOTICES_MILLIS = 60_000;

  /**
   * How the watcher paces itself, which the runner decides: how long an idle {@link #next()} may
   * wait for a landing, and whether the runner reads in micro-batches (Spark), where a listing is
   * handed out whole and nothing stays in flight past the batch (see {@link #inFlight()}).
   */
  public record Settings(
      long pollMillis, long inFlightTimeoutMillis, long idleWaitMillis, boolean microBatches)
      implements Serializable {}

  private final InputFolder folder;
  private final ProcessedFiles processed;
  private final Settings settings;
  private final int split;
  private final int splits;
  private final Map<FileVersion, Long> inFlight;

  /** Versions known to be committed, among those last listed: they need no query. */
  private final Set<FileVersion> committed = new HashSet<>();

  /** What the last listing found to hand out: a listing finding the same is not logged. */
  private Set<FileVersion> lastFound = Set.of();

  private final Deque<List<FileVersion>> pending = new ArrayDeque<>();
  private final KeptConnection connection;
  private boolean ledgerDown;
  private InputFolder.Landings landings = InputFolder.Landings.NONE;
  private final Set<String> noticed = new HashSet<>();
  private boolean noticesLost = true; // nothing is known before a first listing
  private boolean handedOut;
  private long lastListingMillis;
  private long lastFullListingMillis;
  private long listings;

  /**
   * Split {@code split} of {@code splits}: every split lists the whole folder and hands out every
   * uncommitted version (the ingest's lock shares them out), starting {@code split/splits} of the
   * way into its listing, oldest first then round, so that splits work far apart: files landed
   * together share event ids, and an insert of an id another transaction is inserting waits.
   */
  public Watcher(
      InputFolder folder,
      JdbcConfig database,
      ProcessedFiles processed,
      Settings settings,
      int split,
      int splits,
      Map<FileVersion, Long> inFlight) {
    this.folder = folder;
    this.connection = new KeptConnection(database);
    this.processed = processed;
    this.settings = settings;
    this.split = split;
    this.splits = splits;
    this.inFlight = new HashMap<>(inFlight);
  }

  /** Starts listening for landings, where the folder's file system tells of them. */
  public void start() throws IOException {
    landings = folder.landings();
    if (landings.unavailable != null) {
      LOG.info(
          "No landing notices for {} ({}); listing it every {} ms",
          folder,
          landings.unavailable,
          settings.pollMillis());
    }
  }

  /**
   * The next versions to ingest, found together, or null when there are none yet: lists the folder
   * when it is due, after waiting up to the idle wait for a landing (not after handing something
   * out: that is to be passed on first).
   */
  public List<FileVersion> next() throws IOException {
    if (pending.isEmpty()) {
      long since = System.currentTimeMillis() - lastListingMillis;
      long wait =
          Math.min(
              noticed() ? MIN_LISTING_GAP_MILLIS - since : settings.pollMillis() - since,
              handedOut ? 0 : settings.idleWaitMillis());
      await(wait);
      long now = System.currentTimeMillis();
      since = now - lastListingMillis;
      if (since >= settings.pollMillis() || (noticed() && since >= MIN_LISTING_GAP_MILLIS)) {
        lastListingMillis = now;
        look(now);
      }
    }
    List<FileVersion> next = pending.poll();
    handedOut = next != null;
    if (next != null) {
      long now = System.currentTimeMillis();
      next.forEach(version -> inFlight.put(version, now));
    }
    return next;
  }

  /** How many times this watcher has listed the whole folder. */
  public long listings() {
    return listings;
  }

  private boolean noticed() {
    return noticesLost || !noticed.isEmpty();
  }

  /** Lists the whole folder when it is due, else looks at the files notices named, if any. */
  private void look(long now) throws IOException {
    boolean full =
        noticesLost
            || !landings.notifies()
            || now - lastFullListingMillis
                >= Math.max(settings.pollMillis(), LISTING_WITH_NOTICES_MILLIS)
            || inFlight.values().stream()
                .anyMatch(out -> now - out >= settings.inFlightTimeoutMillis());
    if (full) {
      noticesLost = false;
      noticed.clear();
      lastFullListingMillis = now;
      listings++;
      poll(folder.list(), true, now);
    } else if (!noticed.isEmpty()) {
      List<String> names = new ArrayList<>(noticed);
      noticed.clear();
      poll(folder.versions(names), false, now);
    }
  }

  private void await(long millis) throws IOException {
    try {
      if (!noticed()) {
        take(landings.await(Math.max(0, millis)));
        if (settings.microBatches() && noticed()) {
          settle();
        }
      } else if (millis > 0) {
        Thread.sleep(millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("stopped while waiting to list the folder");
    }
  }

  private void take(InputFolder.Notices notices) {
    noticesLost |= notices.lost();
    noticed.addAll(notices.names());
  }

  /**
   * Waits for a burst of landings to end (no notice for {@link #BURST_GAP_MILLIS}, or {@link
   * #BURST_MAX_MILLIS} at most). In a micro-batch a split's listing is all it ingests until the
   * batch ends, and every split is woken by the burst's first notice: a split looking at once would
   * take the first few files, and another split all of them, alone, while the first sat idle (one
   * reader at a time for most of a burst of files moved in together).
   */
  private void settle() throws InterruptedException {
    long until = System.currentTimeMillis() + BURST_MAX_MILLIS;
    int before;
    do {
      before = noticed.size();
      take(landings.await(BURST_GAP_MILLIS));
    } while (noticed.size() > before && System.currentTimeMillis() < until);
  }

  /**
   * The versions in flight, with when they were handed out, for a checkpoint. With micro-batches
   * nothing stays in flight past the batch: a runner that loses a batch's reads (Spark recomputes a
   * lost executor's reads and drops what they emit) would leave them waiting for the timeout.
   */
  public Map<FileVersion, Long> inFlight() {
    if (settings.microBatches()) {
      // Looked at again in the next batch, which hands out what is still uncommitted.
      inFlight.keySet().forEach(version -> noticed.add(version.name()));
      inFlight.clear();
    }
    return new HashMap<>(inFlight);
  }

  /**
   * Hands out what the ledger lacks of the versions {@code listed}: the whole folder if {@code
   * complete}, else the files notices named.
   */
  private void poll(List<FileVersion> listed, boolean complete, long now) {
    if (complete) {
      Set<FileVersion> present = new HashSet<>(listed);
      committed.retainAll(present);
      inFlight.keySet().retainAll(present); // replaced or gone: its new version is due
    }
    List<FileVersion> unknown = listed.stream().filter(f -> !committed.contains(f)).toList();
    if (unknown.isEmpty()) {
      return;
    }
    Set<FileVersion> done = committedOf(unknown);
    if (done == null) {
      return;
    }
    committed.addAll(done);
    done.forEach(processed::apply); // committed, still here: cut off before its move
    inFlight.keySet().removeAll(done);
    inFlight.values().removeIf(out -> now - out >= settings.inFlightTimeoutMillis());
    List<FileVersion> found =
        new ArrayList<>(
            unknown.stream()
                .filter(f -> !done.contains(f) && !inFlight.containsKey(f))
                .sorted(VersionOrder.OLDEST_FIRST)
                .toList());
    Collections.rotate(found, -(int) ((long) found.size() * split / splits));
    if (found.isEmpty()) {
      return;
    }
    pending.addAll(
        settings.microBatches() ? List.of(found) : VersionOrder.groups(found, FileVersion::size));
    if (!lastFound.containsAll(found)) {
      LOG.info(
          "{} {}: {} files, {} to ingest, {} in flight",
          complete ? "Listed" : "Looked at new files in",
          folder,
          listed.size(),
          found.size(),
          inFlight.size());
    }
    lastFound = new HashSet<>(found);
  }

  /** Which of these versions the ledger holds; null while it does not answer. */
  private Set<FileVersion> committedOf(List<FileVersion> versions) {
    try {
      Set<FileVersion> done = Ledger.committed(connection.get(), versions);
      if (ledgerDown) {
        LOG.info("The file ledger answers again");
        ledgerDown = false;
      }
      return done;
    } catch (SQLException e) {
      if (!ledgerDown) { // once per outage, not once per poll
        LOG.warn(
            "Cannot read the file ledger ({}); listing {} again every {} ms until it answers",
            e.getMessage(),
            folder,
            settings.pollMillis());
      }
      ledgerDown = true;
      connection.close(); // the next look connects again
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    connection.close();
    landings.close();
  }
}
