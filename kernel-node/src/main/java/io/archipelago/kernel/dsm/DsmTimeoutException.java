package io.archipelago.kernel.dsm;

/**
 * A page of a software-coherent region could not be obtained before its deadline: its holder did
 * not answer, or kept it busy. Names the region, the page and the peer.
 */
public final class DsmTimeoutException extends RuntimeException {

    private final String region;
    private final long pageFrame;
    private final int holder;

    public DsmTimeoutException(String region, long pageFrame, int holder, String message) {
        super(message);
        this.region = region;
        this.pageFrame = pageFrame;
        this.holder = holder;
    }

    public String region() {
        return region;
    }

    public long pageFrame() {
        return pageFrame;
    }

    /** The kernel id the page was asked of. */
    public int holder() {
        return holder;
    }
}
